#include "xcodec/losses/stft_loss.h"

#include <torch/torch.h>

#include "xcodec/audio/stft.h"
#include "xcodec/core/error.h"
#include "xcodec/io/yaml_fields.h"

namespace xcodec::losses {

void MultiResolutionStftLossOptions::validate(const std::string& path) const {
  auto fail = [&](const std::string& key, const std::string& why) {
    throw ConfigError("config key '" + io::join_key(path, key) + "': " + why);
  };
  if (fft_sizes.empty()) fail("fft_sizes", "needs at least one resolution");
  if (hop_sizes.size() != fft_sizes.size()) fail("hop_sizes", "needs one value per fft size");
  if (win_lengths.size() != fft_sizes.size()) fail("win_lengths", "needs one value per fft size");
  for (size_t i = 0; i < fft_sizes.size(); ++i) {
    if (hop_sizes[i] < 1) fail("hop_sizes", "must be >= 1");
    if (win_lengths[i] < 1 || win_lengths[i] > fft_sizes[i])
      fail("win_lengths", "each window must be in [1, fft size]");
  }
  if (magnitude != "clamp" && magnitude != "add")
    fail("magnitude",
         "must be clamp (Parallel WaveGAN) or add (DwanCodec), got '" + magnitude + "'");
}

void MultiResolutionStftLossOptions::from_yaml(const YAML::Node& node, const std::string& path) {
  io::YamlReader r(node, path);
  r.read("fft_sizes", fft_sizes);
  r.read("hop_sizes", hop_sizes);
  r.read("win_lengths", win_lengths);
  r.read("magnitude", magnitude);
  r.finish();
}

YAML::Node MultiResolutionStftLossOptions::to_yaml() const {
  YAML::Node n;
  n["fft_sizes"] = io::yaml_value(fft_sizes);
  n["hop_sizes"] = io::yaml_value(hop_sizes);
  n["win_lengths"] = io::yaml_value(win_lengths);
  n["magnitude"] = io::yaml_value(magnitude);
  return n;
}

MultiResolutionStftLossOptions MultiResolutionStftLossOptions::dwan() {
  MultiResolutionStftLossOptions o;
  o.fft_sizes = {512, 1024, 2048};
  o.hop_sizes = {120, 240, 480};
  o.win_lengths = {512, 1024, 2048};
  o.magnitude = "add";
  return o;
}

StftLossResult multi_resolution_stft_loss(const torch::Tensor& y_hat, const torch::Tensor& y,
                                          const MultiResolutionStftLossOptions& options) {
  options.validate();
  const torch::Tensor a = (y_hat.dim() == 3 ? y_hat.squeeze(1) : y_hat).to(torch::kFloat32);
  const torch::Tensor b = (y.dim() == 3 ? y.squeeze(1) : y).to(torch::kFloat32);
  if (a.sizes() != b.sizes())
    throw ShapeError("stft loss: y_hat " + c10::str(y_hat.sizes()) + " and y " +
                     c10::str(y.sizes()) + " differ in shape");
  const bool add = options.magnitude == "add";
  auto magnitude = [&](const torch::Tensor& x, const audio::StftOptions& s) {
    // "add": the original adds the epsilon to torch.abs (whose gradient at 0 is 0).
    return add ? audio::stft(x, s).abs() + 1e-7
               : audio::clamped_magnitude(x, s, 1e-7, /*max_power=*/0.0);
  };
  std::vector<torch::Tensor> sc, mag;
  for (size_t i = 0; i < options.fft_sizes.size(); ++i) {
    audio::StftOptions s;
    s.n_fft = options.fft_sizes[i];
    s.hop_length = options.hop_sizes[i];
    s.win_length = options.win_lengths[i];
    const torch::Tensor xa = magnitude(a, s);
    const torch::Tensor xb = magnitude(b, s);
    sc.push_back((xb - xa).norm() / xb.norm());
    mag.push_back((xb.log() - xa.log()).abs().mean());
  }
  StftLossResult out;
  out.spectral_convergence = torch::stack(sc).mean();
  out.log_magnitude = torch::stack(mag).mean();
  out.total = out.spectral_convergence + out.log_magnitude;
  return out;
}

}  // namespace xcodec::losses
