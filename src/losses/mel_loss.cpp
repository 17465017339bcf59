#include "xcodec/losses/mel_loss.h"

#include <torch/torch.h>

#include "xcodec/core/error.h"
#include "xcodec/io/yaml_fields.h"

namespace xcodec::losses {

void MultiResolutionMelLossOptions::validate(const std::string& path) const {
  auto fail = [&](const std::string& key, const std::string& why) {
    throw ConfigError("config key '" + io::join_key(path, key) + "': " + why);
  };
  if (!(sample_rate > 0)) fail("sample_rate", "must be > 0");
  if (window_lengths.empty()) fail("window_lengths", "needs at least one resolution");
  if (n_mels.size() != window_lengths.size())
    fail("n_mels", "needs one value per window length (" + std::to_string(window_lengths.size()) +
                       "), got " + std::to_string(n_mels.size()));
  for (size_t i = 0; i < window_lengths.size(); ++i) {
    if (window_lengths[i] < 4) fail("window_lengths", "windows must be >= 4 samples");
    if (n_mels[i] < 1) fail("n_mels", "must be >= 1");
  }
  if (!(clamp_eps > 0)) fail("clamp_eps", "must be > 0");
  if (!(pow > 0)) fail("pow", "must be > 0");
  if (f_min < 0) fail("f_min", "must be >= 0");
  if (f_max > 0 && f_max <= f_min) fail("f_max", "must be > f_min");
}

void MultiResolutionMelLossOptions::from_yaml(const YAML::Node& node, const std::string& path) {
  io::YamlReader r(node, path);
  r.read("sample_rate", sample_rate);
  r.read("n_mels", n_mels);
  r.read("window_lengths", window_lengths);
  r.read("clamp_eps", clamp_eps);
  r.read("pow", pow);
  r.read("f_min", f_min);
  r.read("f_max", f_max);
  r.finish();
}

YAML::Node MultiResolutionMelLossOptions::to_yaml() const {
  YAML::Node n;
  n["sample_rate"] = io::yaml_value(sample_rate);
  n["n_mels"] = io::yaml_value(n_mels);
  n["window_lengths"] = io::yaml_value(window_lengths);
  n["clamp_eps"] = io::yaml_value(clamp_eps);
  n["pow"] = io::yaml_value(pow);
  n["f_min"] = io::yaml_value(f_min);
  n["f_max"] = io::yaml_value(f_max);
  return n;
}

bool MultiResolutionMelLossOptions::operator==(const MultiResolutionMelLossOptions& o) const {
  return sample_rate == o.sample_rate && n_mels == o.n_mels && window_lengths == o.window_lengths &&
         clamp_eps == o.clamp_eps && pow == o.pow && f_min == o.f_min && f_max == o.f_max;
}

MultiResolutionMelLoss::MultiResolutionMelLoss(MultiResolutionMelLossOptions options)
    : options_(std::move(options)) {
  options_.validate();
  for (size_t i = 0; i < options_.window_lengths.size(); ++i) {
    audio::MelSpectrogramOptions m;
    m.stft.n_fft = options_.window_lengths[i];
    m.stft.win_length = options_.window_lengths[i];
    m.stft.hop_length = options_.window_lengths[i] / 4;
    m.stft.center = true;
    m.stft.pad_mode = "reflect";
    m.mel.n_mels = options_.n_mels[i];
    m.mel.sample_rate = options_.sample_rate;
    m.mel.f_min = options_.f_min;
    m.mel.f_max = options_.f_max;
    m.mel.mel_scale = audio::MelScale::kSlaney;
    m.mel.slaney_norm = true;
    m.power = 1.0;
    transforms_.emplace_back(m);
  }
}

namespace {
torch::Tensor as_batch(const torch::Tensor& x, const char* name) {
  if (x.dim() == 3 && x.size(1) == 1) return x.squeeze(1);
  if (x.dim() == 2 || x.dim() == 1) return x;
  throw ShapeError(std::string("mel loss: expected ") + name + " as [B, T] or [B, 1, T], got " +
                   c10::str(x.sizes()));
}
}  // namespace

torch::Tensor MultiResolutionMelLoss::mel(size_t i, const torch::Tensor& signal) const {
  return transforms_.at(i)(as_batch(signal, "signal"));
}

MelLossResult MultiResolutionMelLoss::operator()(const torch::Tensor& y_hat,
                                                 const torch::Tensor& y) const {
  const torch::Tensor a = as_batch(y_hat, "y_hat");
  const torch::Tensor b = as_batch(y, "y");
  if (a.sizes() != b.sizes())
    throw ShapeError("mel loss: y_hat " + c10::str(y_hat.sizes()) + " and y " +
                     c10::str(y.sizes()) + " differ in shape");
  MelLossResult result;
  for (const auto& transform : transforms_) {
    torch::Tensor la = transform(a).clamp_min(options_.clamp_eps);
    torch::Tensor lb = transform(b).clamp_min(options_.clamp_eps);
    if (options_.pow != 1.0) {
      la = la.pow(options_.pow);
      lb = lb.pow(options_.pow);
    }
    result.per_scale.push_back((la.log10() - lb.log10()).abs().mean());
  }
  result.total = torch::stack(result.per_scale).sum();
  return result;
}

}  // namespace xcodec::losses
