#include "xcodec/models/discriminators/hifigan_discriminator.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "xcodec/core/error.h"
#include "xcodec/io/yaml_fields.h"

namespace xcodec::models {

namespace F = torch::nn::functional;

namespace {

constexpr double kSlope = 0.1;         // LeakyReLU slope of both discriminators
constexpr double kSnEps = 1e-12;       // torch spectral_norm's eps
constexpr int kSnInitIterations = 15;  // power iterations at registration (_SpectralNorm.__init__)

// MPD conv widths (the last conv keeps 1024) and MSD table of spec §5.3.
const int64_t kMpdChannels[] = {32, 128, 512, 1024, 1024};
struct MsdLayer {
  int64_t in, out, kernel, stride, groups, padding;
};
const MsdLayer kMsdLayers[] = {
    {1, 128, 15, 1, 1, 7},     {128, 128, 41, 4, 4, 20},   {128, 256, 41, 4, 16, 20},
    {256, 512, 41, 4, 16, 20}, {512, 1024, 41, 4, 16, 20}, {1024, 1024, 41, 1, 16, 20},
    {1024, 1024, 5, 1, 1, 2},
};

int64_t scaled(int64_t channels, int64_t scale) { return channels == 1 ? 1 : channels / scale; }

// Narrow test models (channel_scale > 8) would leave fewer input channels than groups: the
// groups are capped at the input width (depthwise). At the original widths nothing changes.
int64_t scaled_groups(int64_t groups, int64_t in_channels) { return std::min(groups, in_channels); }

torch::Tensor leaky(const torch::Tensor& x) {
  return F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(kSlope));
}

}  // namespace

// ---- config --------------------------------------------------------------------------------

void HifiGanDiscriminatorConfig::validate(const std::string& path) const {
  auto fail = [&](const std::string& key, const std::string& why) {
    throw ConfigError("config key '" + io::join_key(path, key) + "': " + why);
  };
  if (name != "hifigan") fail("name", "must be 'hifigan', got '" + name + "'");
  for (const int64_t p : periods)
    if (p < 1) fail("periods", "periods must be >= 1, got " + std::to_string(p));
  if (scales < 0) fail("scales", "must be >= 0");
  if (periods.empty() && scales == 0) fail("periods", "no sub-discriminator left (scales is 0)");
  if (channel_scale < 1) fail("channel_scale", "must be >= 1");
  for (const int64_t c : kMpdChannels)
    if (c % channel_scale != 0) fail("channel_scale", "must divide every MPD width (32 ...)");
  for (const auto& l : kMsdLayers) {
    const int64_t in = scaled(l.in, channel_scale);
    const int64_t out = scaled(l.out, channel_scale);
    const int64_t groups = scaled_groups(l.groups, in);
    if (l.out % channel_scale != 0 || in % groups != 0 || out % groups != 0) {
      fail("channel_scale", "must leave the grouped MSD convs divisible by their groups (" +
                                std::to_string(l.out) + " / " + std::to_string(channel_scale) +
                                " channels in " + std::to_string(groups) + " groups)");
    }
  }
}

void HifiGanDiscriminatorConfig::from_yaml(const YAML::Node& node, const std::string& path) {
  io::YamlReader r(node, path);
  r.read("name", name);
  r.read("periods", periods);
  r.read("scales", scales);
  r.read("use_spectral_norm_first_scale", use_spectral_norm_first_scale);
  r.read("channel_scale", channel_scale);
  r.finish();
}

YAML::Node HifiGanDiscriminatorConfig::to_yaml() const {
  YAML::Node n;
  n["name"] = io::yaml_value(name);
  n["periods"] = io::yaml_value(periods);
  n["scales"] = io::yaml_value(scales);
  n["use_spectral_norm_first_scale"] = io::yaml_value(use_spectral_norm_first_scale);
  n["channel_scale"] = io::yaml_value(channel_scale);
  return n;
}

// ---- spectral / weight norm ----------------------------------------------------------------

SpectralNormStateImpl::SpectralNormStateImpl(int64_t rows_, int64_t cols_)
    : rows(rows_), cols(cols_) {
  reset();
}

void SpectralNormStateImpl::reset() {
  u = register_buffer("u", torch::zeros({rows}));
  v = register_buffer("v", torch::zeros({cols}));
}

ParametrizedWeightImpl::ParametrizedWeightImpl(std::vector<int64_t> shape_, ConvNorm norm_)
    : shape(std::move(shape_)), norm(norm_) {
  reset();
}

void ParametrizedWeightImpl::reset() {
  torch::Tensor w = torch::empty(shape);
  torch::nn::init::kaiming_uniform_(w, std::sqrt(5.0));
  const int64_t rows = shape[0];
  if (norm == ConvNorm::kWeight) {
    // g from v before registration: register_parameter turns on requires_grad in place.
    std::vector<int64_t> g_shape(shape.size(), 1);
    g_shape[0] = rows;
    torch::Tensor g = w.reshape({rows, -1}).norm(2, 1).reshape(g_shape);
    original0 = register_parameter("original0", g.detach());
    original1 = register_parameter("original1", w);
    return;
  }
  original = register_parameter("original", w);
  const torch::Tensor mat = w.reshape({rows, -1});
  state = register_module("0", SpectralNormState(rows, mat.size(1)));
  torch::NoGradGuard no_grad;
  const auto opts = F::NormalizeFuncOptions().dim(0).eps(kSnEps);
  state->u.copy_(F::normalize(torch::randn({rows}), opts));
  state->v.copy_(F::normalize(torch::randn({mat.size(1)}), opts));
  for (int i = 0; i < kSnInitIterations; ++i) {
    state->u.copy_(F::normalize(torch::mv(mat, state->v), opts));
    state->v.copy_(F::normalize(torch::mv(mat.t(), state->u), opts));
  }
}

torch::Tensor ParametrizedWeightImpl::weight() {
  const int64_t rows = shape[0];
  if (norm == ConvNorm::kWeight) {
    // torch._weight_norm(v, g, 0): v * (g / ||v||), the norm over all but dim 0, no epsilon.
    std::vector<int64_t> g_shape(shape.size(), 1);
    g_shape[0] = rows;
    const torch::Tensor n = original1.reshape({rows, -1}).norm(2, 1).reshape(g_shape);
    return original1 * (original0 / n);
  }
  const torch::Tensor mat = original.reshape({rows, -1});
  if (is_training()) {
    torch::NoGradGuard no_grad;
    const auto opts = F::NormalizeFuncOptions().dim(0).eps(kSnEps);
    const torch::Tensor m = mat.detach();
    state->u.copy_(F::normalize(torch::mv(m, state->v), opts));
    state->v.copy_(F::normalize(torch::mv(m.t(), state->u), opts));
  }
  // Clones, as torch does: the buffers change in place on the next training forward, which
  // would corrupt a backward pass that saved them.
  const torch::Tensor u = state->u.clone();
  const torch::Tensor v = state->v.clone();
  const torch::Tensor sigma = torch::dot(u, torch::mv(mat, v));
  return original / sigma;
}

// ---- NormedConv ----------------------------------------------------------------------------

NormedConvImpl::NormedConvImpl(NormedConvOptions options_) : options(options_) { reset(); }

void NormedConvImpl::reset() {
  const auto& o = options;
  if (o.rank != 1 && o.rank != 2)
    throw ConfigError("NormedConv: rank must be 1 or 2, got " + std::to_string(o.rank));
  if (o.groups < 1 || o.in_channels % o.groups != 0 || o.out_channels % o.groups != 0) {
    throw ConfigError("NormedConv: channels " + std::to_string(o.in_channels) + " -> " +
                      std::to_string(o.out_channels) + " not divisible by groups " +
                      std::to_string(o.groups));
  }
  std::vector<int64_t> shape{o.out_channels, o.in_channels / o.groups, o.kernel[0]};
  if (o.rank == 2) shape.push_back(o.kernel[1]);
  const std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>> weight = {
      {"weight", ParametrizedWeight(shape, o.norm).ptr()}};
  parametrizations = register_module("parametrizations", torch::nn::ModuleDict(weight));
  int64_t fan_in = 1;
  for (size_t i = 1; i < shape.size(); ++i) fan_in *= shape[i];
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  bias = register_parameter("bias", torch::empty({o.out_channels}).uniform_(-bound, bound));
}

void NormedConvImpl::pretty_print(std::ostream& stream) const {
  const auto& o = options;
  stream << "xcodec::models::NormedConv" << o.rank << "d(" << o.in_channels << ", "
         << o.out_channels << ", kernel=" << o.kernel[0];
  if (o.rank == 2) stream << "x" << o.kernel[1];
  stream << ", groups=" << o.groups
         << ", norm=" << (o.norm == ConvNorm::kWeight ? "weight" : "spectral") << ")";
}

torch::Tensor NormedConvImpl::forward(const torch::Tensor& x) {
  const auto& o = options;
  const torch::Tensor w = parametrizations["weight"]->as<ParametrizedWeightImpl>()->weight();
  if (o.rank == 1) {
    return torch::conv1d(x, w, bias, {o.stride[0]}, {o.padding[0]}, {1}, o.groups);
  }
  return torch::conv2d(x, w, bias, {o.stride[0], o.stride[1]}, {o.padding[0], o.padding[1]}, {1, 1},
                       o.groups);
}

// ---- MPD -----------------------------------------------------------------------------------

HifiGanPeriodDiscriminatorImpl::HifiGanPeriodDiscriminatorImpl(int64_t period_,
                                                               int64_t channel_scale_)
    : period(period_), channel_scale(channel_scale_) {
  reset();
}

void HifiGanPeriodDiscriminatorImpl::reset() {
  convs = register_module("convs", torch::nn::ModuleList());
  int64_t in = 1;
  for (size_t j = 0; j < std::size(kMpdChannels); ++j) {
    NormedConvOptions c;
    c.rank = 2;
    c.in_channels = in;
    c.out_channels = scaled(kMpdChannels[j], channel_scale);
    c.kernel = {5, 1};
    c.stride = {j + 1 < std::size(kMpdChannels) ? 3 : 1, 1};
    c.padding = {2, 0};
    convs->push_back(NormedConv(c));
    in = c.out_channels;
  }
  NormedConvOptions post;
  post.rank = 2;
  post.in_channels = in;
  post.out_channels = 1;
  post.kernel = {3, 1};
  post.padding = {1, 0};
  conv_post = register_module("conv_post", NormedConv(post));
}

DiscriminatorOutputs HifiGanPeriodDiscriminatorImpl::forward(const torch::Tensor& input) {
  if (input.dim() != 3 || input.size(1) != 1)
    throw ShapeError("HiFi-GAN period discriminator: expected [B, 1, L], got " +
                     c10::str(input.sizes()));
  torch::Tensor x = input;
  const int64_t length = x.size(2);
  if (length % period != 0) {
    const int64_t pad = period - length % period;
    if (pad >= length)
      throw ShapeError("HiFi-GAN period discriminator: input of " + std::to_string(length) +
                       " samples is too short for period " + std::to_string(period));
    x = F::pad(x, F::PadFuncOptions({0, pad}).mode(torch::kReflect));
  }
  x = x.view({x.size(0), 1, x.size(2) / period, period});
  DiscriminatorOutputs out;
  auto& maps = out.feature_maps.emplace_back();
  for (const auto& conv : *convs) {
    x = leaky(conv->as<NormedConvImpl>()->forward(x));
    maps.push_back(x);
  }
  x = conv_post->forward(x);
  maps.push_back(x);
  out.logits.push_back(x.flatten(1));
  return out;
}

HifiGanMultiPeriodImpl::HifiGanMultiPeriodImpl(std::vector<int64_t> periods_,
                                               int64_t channel_scale_)
    : periods(std::move(periods_)), channel_scale(channel_scale_) {
  reset();
}

void HifiGanMultiPeriodImpl::reset() {
  discriminators = register_module("discriminators", torch::nn::ModuleList());
  for (const int64_t p : periods) {
    discriminators->push_back(HifiGanPeriodDiscriminator(p, channel_scale));
  }
}

DiscriminatorOutputs HifiGanMultiPeriodImpl::forward(const torch::Tensor& x) {
  DiscriminatorOutputs out;
  for (const auto& d : *discriminators) {
    out.append(d->as<HifiGanPeriodDiscriminatorImpl>()->forward(x));
  }
  return out;
}

// ---- MSD -----------------------------------------------------------------------------------

HifiGanScaleDiscriminatorImpl::HifiGanScaleDiscriminatorImpl(ConvNorm norm_, int64_t channel_scale_)
    : norm(norm_), channel_scale(channel_scale_) {
  reset();
}

void HifiGanScaleDiscriminatorImpl::reset() {
  convs = register_module("convs", torch::nn::ModuleList());
  for (const auto& l : kMsdLayers) {
    NormedConvOptions c;
    c.rank = 1;
    c.in_channels = scaled(l.in, channel_scale);
    c.out_channels = scaled(l.out, channel_scale);
    c.kernel = {l.kernel, 1};
    c.stride = {l.stride, 1};
    c.padding = {l.padding, 0};
    c.groups = scaled_groups(l.groups, c.in_channels);
    c.norm = norm;
    convs->push_back(NormedConv(c));
  }
  NormedConvOptions post;
  post.rank = 1;
  post.in_channels = scaled(1024, channel_scale);
  post.out_channels = 1;
  post.kernel = {3, 1};
  post.padding = {1, 0};
  post.norm = norm;
  conv_post = register_module("conv_post", NormedConv(post));
}

DiscriminatorOutputs HifiGanScaleDiscriminatorImpl::forward(const torch::Tensor& input) {
  if (input.dim() != 3 || input.size(1) != 1)
    throw ShapeError("HiFi-GAN scale discriminator: expected [B, 1, L], got " +
                     c10::str(input.sizes()));
  torch::Tensor x = input;
  DiscriminatorOutputs out;
  auto& maps = out.feature_maps.emplace_back();
  for (const auto& conv : *convs) {
    x = leaky(conv->as<NormedConvImpl>()->forward(x));
    maps.push_back(x);
  }
  x = conv_post->forward(x);
  maps.push_back(x);
  out.logits.push_back(x.flatten(1));
  return out;
}

HifiGanMultiScaleImpl::HifiGanMultiScaleImpl(int64_t scales_, bool spectral_first_,
                                             int64_t channel_scale_)
    : scales(scales_), spectral_first(spectral_first_), channel_scale(channel_scale_) {
  reset();
}

void HifiGanMultiScaleImpl::reset() {
  discriminators = register_module("discriminators", torch::nn::ModuleList());
  for (int64_t i = 0; i < scales; ++i) {
    const ConvNorm n = i == 0 && spectral_first ? ConvNorm::kSpectral : ConvNorm::kWeight;
    discriminators->push_back(HifiGanScaleDiscriminator(n, channel_scale));
  }
}

DiscriminatorOutputs HifiGanMultiScaleImpl::forward(const torch::Tensor& input) {
  DiscriminatorOutputs out;
  torch::Tensor x = input;
  for (size_t i = 0; i < discriminators->size(); ++i) {
    // AvgPool1d(4, 2, padding 2), count_include_pad as torch's default; cumulative.
    if (i > 0) x = torch::avg_pool1d(x, {4}, {2}, {2}, /*ceil_mode=*/false, true);
    out.append(discriminators[i]->as<HifiGanScaleDiscriminatorImpl>()->forward(x));
  }
  return out;
}

// ---- the set -------------------------------------------------------------------------------

HifiGanDiscriminatorImpl::HifiGanDiscriminatorImpl(HifiGanDiscriminatorConfig config_)
    : config(std::move(config_)) {
  reset();
}

void HifiGanDiscriminatorImpl::reset() {
  config.validate();
  mpd = register_module("mpd", HifiGanMultiPeriod(config.periods, config.channel_scale));
  msd = register_module(
      "msd",
      HifiGanMultiScale(config.scales, config.use_spectral_norm_first_scale, config.channel_scale));
}

void HifiGanDiscriminatorImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::HifiGanDiscriminator(periods=" << config.periods.size()
         << ", scales=" << config.scales << ", channel_scale=" << config.channel_scale << ")";
}

DiscriminatorOutputs HifiGanDiscriminatorImpl::forward(const torch::Tensor& input) {
  const torch::Tensor x = input.dim() == 2 ? input.unsqueeze(1) : input;
  if (x.dim() != 3 || x.size(1) != 1)
    throw ShapeError("HiFi-GAN discriminators: expected [B, 1, L], got " + c10::str(input.sizes()));
  DiscriminatorOutputs out = mpd->forward(x);
  out.append(msd->forward(x));
  return out;
}

namespace {

class HifiGanDiscriminatorSet : public DiscriminatorSet {
 public:
  explicit HifiGanDiscriminatorSet(HifiGanDiscriminatorConfig config) : disc_(std::move(config)) {}
  DiscriminatorOutputs forward(const torch::Tensor& x) override { return disc_->forward(x); }
  torch::nn::Module& module() override { return *disc_; }
  std::string name() const override { return "hifigan"; }

 private:
  HifiGanDiscriminator disc_;
};

}  // namespace

DiscriminatorSetKind hifigan_discriminator_kind() {
  DiscriminatorSetKind k;
  k.name = "hifigan";
  k.description = "DwanCodec / HiFi-GAN: multi-period + multi-scale discriminators";
  k.validate = [](const YAML::Node& group, const std::string& path) {
    HifiGanDiscriminatorConfig c;
    c.from_yaml(group, path);
    c.validate(path);
  };
  k.build = [](const YAML::Node& group) -> std::unique_ptr<DiscriminatorSet> {
    HifiGanDiscriminatorConfig c;
    c.from_yaml(group);
    c.validate();
    return std::make_unique<HifiGanDiscriminatorSet>(c);
  };
  return k;
}

}  // namespace xcodec::models
