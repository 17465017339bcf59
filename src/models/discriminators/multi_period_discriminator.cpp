#include "xcodec/models/discriminators/multi_period_discriminator.h"

#include <torch/torch.h>

#include "xcodec/core/error.h"
#include "xcodec/io/yaml_fields.h"

namespace xcodec::models {

namespace F = torch::nn::functional;

MultiPeriodDiscriminatorOptions MultiPeriodDiscriminatorOptions::small() {
  MultiPeriodDiscriminatorOptions o;
  o.channels = 4;
  o.max_downsample_channels = 32;
  return o;
}

void MultiPeriodDiscriminatorOptions::validate(const std::string& path) const {
  auto fail = [&](const std::string& key, const std::string& why) {
    throw ConfigError("config key '" + io::join_key(path, key) + "': " + why);
  };
  if (periods.empty()) fail("periods", "needs at least one period");
  for (int64_t p : periods)
    if (p < 1) fail("periods", "periods must be >= 1, got " + std::to_string(p));
  if (in_channels < 1) fail("in_channels", "must be >= 1");
  if (out_channels < 1) fail("out_channels", "must be >= 1");
  if (kernel_sizes.size() != 2) fail("kernel_sizes", "needs exactly 2 values");
  if (kernel_sizes[0] % 2 != 1 || kernel_sizes[1] % 2 != 1)
    fail("kernel_sizes", "kernel sizes must be odd");
  if (kernel_sizes[1] < 3) fail("kernel_sizes", "the output kernel size must be >= 3");
  if (channels < 1) fail("channels", "must be >= 1");
  if (downsample_scales.empty()) fail("downsample_scales", "needs at least one scale");
  for (int64_t s : downsample_scales)
    if (s < 1) fail("downsample_scales", "scales must be >= 1");
  if (max_downsample_channels < 1) fail("max_downsample_channels", "must be >= 1");
  if (channel_increasing_factor < 1) fail("channel_increasing_factor", "must be >= 1");
  if (negative_slope < 0) fail("negative_slope", "must be >= 0");
}

void MultiPeriodDiscriminatorOptions::from_yaml(const YAML::Node& node, const std::string& path) {
  io::YamlReader r(node, path);
  r.read("periods", periods);
  r.read("in_channels", in_channels);
  r.read("out_channels", out_channels);
  r.read("kernel_sizes", kernel_sizes);
  r.read("channels", channels);
  r.read("downsample_scales", downsample_scales);
  r.read("max_downsample_channels", max_downsample_channels);
  r.read("channel_increasing_factor", channel_increasing_factor);
  r.read("negative_slope", negative_slope);
  r.read("bias", bias);
  r.read("use_weight_norm", use_weight_norm);
  r.finish();
}

YAML::Node MultiPeriodDiscriminatorOptions::to_yaml() const {
  YAML::Node n;
  n["periods"] = io::yaml_value(periods);
  n["in_channels"] = io::yaml_value(in_channels);
  n["out_channels"] = io::yaml_value(out_channels);
  n["kernel_sizes"] = io::yaml_value(kernel_sizes);
  n["channels"] = io::yaml_value(channels);
  n["downsample_scales"] = io::yaml_value(downsample_scales);
  n["max_downsample_channels"] = io::yaml_value(max_downsample_channels);
  n["channel_increasing_factor"] = io::yaml_value(channel_increasing_factor);
  n["negative_slope"] = io::yaml_value(negative_slope);
  n["bias"] = io::yaml_value(bias);
  n["use_weight_norm"] = io::yaml_value(use_weight_norm);
  return n;
}

bool MultiPeriodDiscriminatorOptions::operator==(const MultiPeriodDiscriminatorOptions& o) const {
  return periods == o.periods && in_channels == o.in_channels && out_channels == o.out_channels &&
         kernel_sizes == o.kernel_sizes && channels == o.channels &&
         downsample_scales == o.downsample_scales &&
         max_downsample_channels == o.max_downsample_channels &&
         channel_increasing_factor == o.channel_increasing_factor &&
         negative_slope == o.negative_slope && bias == o.bias &&
         use_weight_norm == o.use_weight_norm;
}

// ---- PeriodDiscriminator -------------------------------------------------------------------

PeriodDiscriminatorImpl::PeriodDiscriminatorImpl(int64_t period_,
                                                 MultiPeriodDiscriminatorOptions options_)
    : period(period_), options(std::move(options_)) {
  reset();
}

void PeriodDiscriminatorImpl::reset() {
  const auto& o = options;
  convs = register_module("convs", torch::nn::ModuleList());
  int64_t in_chs = o.in_channels;
  int64_t out_chs = o.channels;
  for (int64_t scale : o.downsample_scales) {
    WeightNormConv2dOptions c;
    c.in_channels = in_chs;
    c.out_channels = out_chs;
    c.kernel_size = {o.kernel_sizes[0], 1};
    c.stride = {scale, 1};
    c.padding = {(o.kernel_sizes[0] - 1) / 2, 0};
    c.bias = o.bias;
    c.weight_norm = o.use_weight_norm;
    WeightNormConv2d conv(c);
    torch::nn::Sequential block;
    block->push_back(conv);
    block->push_back(
        torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(o.negative_slope)));
    convs->push_back(block);
    in_chs = out_chs;
    out_chs = std::min(out_chs * o.channel_increasing_factor, o.max_downsample_channels);
  }
  // The original passes the post-update `out_chs` here; it equals `in_chs` whenever the cap is
  // reached (every shipped config). `in_chs` is the channel count the input actually has.
  WeightNormConv2dOptions c;
  c.in_channels = in_chs;
  c.out_channels = o.out_channels;
  c.kernel_size = {o.kernel_sizes[1] - 1, 1};
  c.padding = {(o.kernel_sizes[1] - 1) / 2, 0};
  c.bias = o.bias;
  c.weight_norm = o.use_weight_norm;
  output_conv = register_module("output_conv", WeightNormConv2d(c));
}

void PeriodDiscriminatorImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::PeriodDiscriminator(period=" << period
         << ", channels=" << options.channels << ", max=" << options.max_downsample_channels << ")";
}

DiscriminatorOutputs PeriodDiscriminatorImpl::forward(const torch::Tensor& input) {
  if (input.dim() != 3 || input.size(1) != options.in_channels)
    throw ShapeError("PeriodDiscriminator: expected [B, " + std::to_string(options.in_channels) +
                     ", T], got " + c10::str(input.sizes()));
  torch::Tensor x = input;
  const int64_t length = x.size(2);
  if (length % period != 0) {
    const int64_t pad = period - length % period;
    if (pad >= length)
      throw ShapeError("PeriodDiscriminator: input of " + std::to_string(length) +
                       " samples is too short for period " + std::to_string(period));
    x = F::pad(x, F::PadFuncOptions({0, pad}).mode(torch::kReflect));
  }
  x = x.view({x.size(0), x.size(1), x.size(2) / period, period});
  DiscriminatorOutputs out;
  out.feature_maps.emplace_back();
  auto& maps = out.feature_maps.back();
  // Layers are looked up through the containers (not cached pointers), so clone() stays valid.
  for (const auto& block : *convs) {
    const auto& conv = block->as<torch::nn::SequentialImpl>()->ptr(0);
    x = F::leaky_relu(std::dynamic_pointer_cast<WeightNormConv2dImpl>(conv)->forward(x),
                      F::LeakyReLUFuncOptions().negative_slope(options.negative_slope));
    maps.push_back(x);
  }
  out.logits.push_back(output_conv->forward(x).flatten(1));
  return out;
}

// ---- MultiPeriodDiscriminator --------------------------------------------------------------

MultiPeriodDiscriminatorImpl::MultiPeriodDiscriminatorImpl(MultiPeriodDiscriminatorOptions options_)
    : options(std::move(options_)) {
  reset();
}

void MultiPeriodDiscriminatorImpl::reset() {
  options.validate();
  discriminators = register_module("discriminators", torch::nn::ModuleList());
  for (int64_t p : options.periods) {
    PeriodDiscriminator d(p, options);
    discriminators->push_back(d);
  }
}

void MultiPeriodDiscriminatorImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::MultiPeriodDiscriminator(periods=[";
  for (size_t i = 0; i < options.periods.size(); ++i)
    stream << (i ? ", " : "") << options.periods[i];
  stream << "], channels=" << options.channels << ", max=" << options.max_downsample_channels
         << ")";
}

DiscriminatorOutputs MultiPeriodDiscriminatorImpl::forward(const torch::Tensor& input) {
  const torch::Tensor x = input.dim() == 2 ? input.unsqueeze(1) : input;
  DiscriminatorOutputs out;
  for (const auto& d : *discriminators) out.append(d->as<PeriodDiscriminatorImpl>()->forward(x));
  return out;
}

}  // namespace xcodec::models
