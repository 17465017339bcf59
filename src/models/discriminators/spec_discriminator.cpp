#include "xcodec/models/discriminators/spec_discriminator.h"

#include <torch/torch.h>

#include "xcodec/core/error.h"
#include "xcodec/io/yaml_fields.h"

namespace xcodec::models {

namespace F = torch::nn::functional;

// ---- options -------------------------------------------------------------------------------

SpecDiscriminatorOptions SpecDiscriminatorOptions::small() {
  SpecDiscriminatorOptions o;
  o.channels = 4;
  o.max_downsample_channels = 16;
  return o;
}

void SpecDiscriminatorOptions::validate(const std::string& path) const {
  auto fail = [&](const std::string& key, const std::string& why) {
    throw ConfigError("config key '" + io::join_key(path, key) + "': " + why);
  };
  const auto& s = stft_params;
  if (s.fft_sizes.empty()) fail("stft_params.fft_sizes", "needs at least one resolution");
  if (s.hop_sizes.size() != s.fft_sizes.size())
    fail("stft_params.hop_sizes", "needs one value per fft size");
  if (s.win_lengths.size() != s.fft_sizes.size())
    fail("stft_params.win_lengths", "needs one value per fft size");
  for (size_t i = 0; i < s.fft_sizes.size(); ++i) {
    if (s.fft_sizes[i] < 2) fail("stft_params.fft_sizes", "sizes must be >= 2");
    if (s.hop_sizes[i] < 1) fail("stft_params.hop_sizes", "hops must be >= 1");
    if (s.win_lengths[i] < 1 || s.win_lengths[i] > s.fft_sizes[i])
      fail("stft_params.win_lengths", "each window must be in [1, fft size]");
  }
  if (s.window != "hann_window")
    fail("stft_params.window", "only 'hann_window' is supported, got '" + s.window + "'");
  if (in_channels != 1) fail("in_channels", "the spectrogram has 1 channel");
  if (out_channels < 1) fail("out_channels", "must be >= 1");
  if (kernel_sizes.size() != 2 || kernel_sizes[0] % 2 != 1 || kernel_sizes[1] % 2 != 1)
    fail("kernel_sizes", "needs 2 odd values");
  if (channels < 1) fail("channels", "must be >= 1");
  if (max_downsample_channels < 1) fail("max_downsample_channels", "must be >= 1");
  for (int64_t d : downsample_scales)
    if (d < 1) fail("downsample_scales", "scales must be >= 1");
  if (negative_slope < 0) fail("negative_slope", "must be >= 0");
  if (!(min_power > 0)) fail("min_power", "must be > 0");
}

void SpecDiscriminatorOptions::from_yaml(const YAML::Node& node, const std::string& path) {
  io::YamlReader r(node, path);
  {
    io::YamlReader s(r.child("stft_params"), r.key_path("stft_params"));
    s.read("fft_sizes", stft_params.fft_sizes);
    s.read("hop_sizes", stft_params.hop_sizes);
    s.read("win_lengths", stft_params.win_lengths);
    s.read("window", stft_params.window);
    s.finish();
  }
  r.read("in_channels", in_channels);
  r.read("out_channels", out_channels);
  r.read("kernel_sizes", kernel_sizes);
  r.read("channels", channels);
  r.read("max_downsample_channels", max_downsample_channels);
  r.read("downsample_scales", downsample_scales);
  r.read("negative_slope", negative_slope);
  r.read("min_power", min_power);
  r.read("max_power", max_power);
  r.read("use_weight_norm", use_weight_norm);
  r.finish();
}

YAML::Node SpecDiscriminatorOptions::to_yaml() const {
  YAML::Node n;
  YAML::Node s;
  s["fft_sizes"] = io::yaml_value(stft_params.fft_sizes);
  s["hop_sizes"] = io::yaml_value(stft_params.hop_sizes);
  s["win_lengths"] = io::yaml_value(stft_params.win_lengths);
  s["window"] = io::yaml_value(stft_params.window);
  n["stft_params"] = s;
  n["in_channels"] = io::yaml_value(in_channels);
  n["out_channels"] = io::yaml_value(out_channels);
  n["kernel_sizes"] = io::yaml_value(kernel_sizes);
  n["channels"] = io::yaml_value(channels);
  n["max_downsample_channels"] = io::yaml_value(max_downsample_channels);
  n["downsample_scales"] = io::yaml_value(downsample_scales);
  n["negative_slope"] = io::yaml_value(negative_slope);
  n["min_power"] = io::yaml_value(min_power);
  n["max_power"] = io::yaml_value(max_power);
  n["use_weight_norm"] = io::yaml_value(use_weight_norm);
  return n;
}

bool SpecDiscriminatorOptions::operator==(const SpecDiscriminatorOptions& o) const {
  return stft_params == o.stft_params && in_channels == o.in_channels &&
         out_channels == o.out_channels && kernel_sizes == o.kernel_sizes &&
         channels == o.channels && max_downsample_channels == o.max_downsample_channels &&
         downsample_scales == o.downsample_scales && negative_slope == o.negative_slope &&
         min_power == o.min_power && max_power == o.max_power &&
         use_weight_norm == o.use_weight_norm;
}

audio::StftOptions SpecDiscriminatorOptions::stft(size_t i) const {
  audio::StftOptions s;
  s.n_fft = stft_params.fft_sizes.at(i);
  s.hop_length = stft_params.hop_sizes.at(i);
  s.win_length = stft_params.win_lengths.at(i);
  s.center = true;
  s.pad_mode = "reflect";
  return s;
}

// ---- one resolution ------------------------------------------------------------------------

SpecSubDiscriminatorImpl::SpecSubDiscriminatorImpl(SpecDiscriminatorOptions options_)
    : options(std::move(options_)) {
  reset();
}

void SpecSubDiscriminatorImpl::reset() {
  const auto& o = options;
  model = register_module("model", torch::nn::ModuleDict());
  auto conv = [&](int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad) {
    WeightNormConv2dOptions c;
    c.in_channels = in;
    c.out_channels = out;
    c.kernel_size = {k, k};
    c.stride = {stride, stride};
    c.padding = {pad, pad};
    c.weight_norm = o.use_weight_norm;
    WeightNormConv2d m(c);
    return m;
  };
  auto block = [&](WeightNormConv2d m) {
    torch::nn::Sequential seq;
    seq->push_back(m);
    seq->push_back(
        torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(o.negative_slope)));
    return seq;
  };
  int64_t layer = 0;
  auto name = [&]() { return "layer_" + std::to_string(layer++); };
  using Entries = std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>>;
  // ModuleDict::insert is private; update() with one entry registers in order.
  auto add = [&](std::shared_ptr<torch::nn::Module> m) { model->update(Entries{{name(), m}}); };
  add(block(conv(o.in_channels, o.channels, o.kernel_sizes[0], 2, o.kernel_sizes[0] / 2)).ptr());
  int64_t in_chs = o.channels;
  for (int64_t s : o.downsample_scales) {
    const int64_t out_chs = std::min(in_chs * s, o.max_downsample_channels);
    add(block(conv(in_chs, out_chs, 2 * s + 1, s, s)).ptr());
    in_chs = out_chs;
  }
  const int64_t out_chs = std::min(in_chs * 2, o.max_downsample_channels);
  add(block(conv(in_chs, out_chs, o.kernel_sizes[1], 1, o.kernel_sizes[1] / 2)).ptr());
  add(conv(out_chs, o.out_channels, o.kernel_sizes[1], 1, o.kernel_sizes[1] / 2).ptr());
}

DiscriminatorOutputs SpecSubDiscriminatorImpl::forward(const torch::Tensor& spec) {
  torch::Tensor x = spec;
  DiscriminatorOutputs out;
  out.feature_maps.emplace_back();
  auto& maps = out.feature_maps.back();
  const auto act = F::LeakyReLUFuncOptions().negative_slope(options.negative_slope);
  // Layers are looked up through the containers (not cached pointers), so clone() stays valid.
  const auto layers = model->values();
  for (size_t i = 0; i + 1 < layers.size(); ++i) {
    const auto conv = layers[i]->as<torch::nn::SequentialImpl>()->ptr(0);
    x = F::leaky_relu(std::dynamic_pointer_cast<WeightNormConv2dImpl>(conv)->forward(x), act);
    maps.push_back(x);
  }
  out.logits.push_back(layers.back()->as<WeightNormConv2dImpl>()->forward(x));
  return out;
}

// ---- all resolutions -----------------------------------------------------------------------

SpecDiscriminatorImpl::SpecDiscriminatorImpl(SpecDiscriminatorOptions options_)
    : options(std::move(options_)) {
  reset();
}

void SpecDiscriminatorImpl::reset() {
  options.validate();
  model = register_module("model", torch::nn::ModuleDict());
  for (size_t i = 0; i < options.stft_params.fft_sizes.size(); ++i) {
    SpecSubDiscriminator d(options);
    model->update(std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>>{
        {"disc_" + std::to_string(i), d.ptr()}});
  }
}

void SpecDiscriminatorImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::SpecDiscriminator(resolutions=" << model->size()
         << ", channels=" << options.channels << ", max=" << options.max_downsample_channels << ")";
}

torch::Tensor SpecDiscriminatorImpl::spectrogram(const torch::Tensor& input, size_t i) const {
  const torch::Tensor x = input.dim() == 3 ? input.squeeze(1) : input;
  if (x.dim() != 2)
    throw ShapeError("SpecDiscriminator: expected [B, 1, T] or [B, T], got " +
                     c10::str(input.sizes()));
  return audio::clamped_magnitude(x, options.stft(i), options.min_power, options.max_power);
}

DiscriminatorOutputs SpecDiscriminatorImpl::forward(const torch::Tensor& input) {
  DiscriminatorOutputs out;
  const auto discs = model->values();
  for (size_t i = 0; i < discs.size(); ++i) {
    // [B, frames, F] → [B, 1, F, frames]
    const torch::Tensor spec = spectrogram(input, i).transpose(1, 2).unsqueeze(1);
    out.append(discs[i]->as<SpecSubDiscriminatorImpl>()->forward(spec));
  }
  return out;
}

}  // namespace xcodec::models
