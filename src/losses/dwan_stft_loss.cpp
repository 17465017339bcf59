#include "xcodec/losses/dwan_stft_loss.h"

#include <torch/torch.h>

#include "xcodec/audio/stft.h"
#include "xcodec/core/error.h"
#include "xcodec/io/yaml_fields.h"

namespace xcodec::losses {

void DwanStftLossOptions::validate(const std::string& path) const {
  auto fail = [&](const std::string& key, const std::string& why) {
    throw ConfigError("config key '" + io::join_key(path, key) + "': " + why);
  };
  if (fft_sizes.empty()) fail("fft_sizes", "needs at least one resolution");
  if (hop_sizes.size() != fft_sizes.size()) fail("hop_sizes", "needs one value per fft size");
  if (win_lengths.size() != fft_sizes.size()) fail("win_lengths", "needs one value per fft size");
  for (size_t i = 0; i < fft_sizes.size(); ++i) {
    if (fft_sizes[i] < 2) fail("fft_sizes", "must be >= 2");
    if (hop_sizes[i] < 1) fail("hop_sizes", "must be >= 1");
    if (win_lengths[i] < 1 || win_lengths[i] > fft_sizes[i])
      fail("win_lengths", "each window must be in [1, fft size]");
  }
  if (!(eps > 0)) fail("eps", "must be > 0");
}

void DwanStftLossOptions::from_yaml(const YAML::Node& node, const std::string& path) {
  io::YamlReader r(node, path);
  r.read("fft_sizes", fft_sizes);
  r.read("hop_sizes", hop_sizes);
  r.read("win_lengths", win_lengths);
  r.read("eps", eps);
  r.finish();
}

YAML::Node DwanStftLossOptions::to_yaml() const {
  YAML::Node n;
  n["fft_sizes"] = io::yaml_value(fft_sizes);
  n["hop_sizes"] = io::yaml_value(hop_sizes);
  n["win_lengths"] = io::yaml_value(win_lengths);
  n["eps"] = io::yaml_value(eps);
  return n;
}

DwanStftLossResult dwan_mrstft_loss_terms(const torch::Tensor& y_hat, const torch::Tensor& y,
                                          const DwanStftLossOptions& options) {
  options.validate();
  const torch::Tensor a = (y_hat.dim() == 3 ? y_hat.squeeze(1) : y_hat).to(torch::kFloat32);
  const torch::Tensor b = (y.dim() == 3 ? y.squeeze(1) : y).to(torch::kFloat32);
  if (a.sizes() != b.sizes() || a.dim() != 2) {
    throw ShapeError("dwan stft loss: y_hat " + c10::str(y_hat.sizes()) + " and y " +
                     c10::str(y.sizes()) + " must both be [B, T] or [B, 1, T] of one shape");
  }
  std::vector<torch::Tensor> sc;
  std::vector<torch::Tensor> mag;
  for (size_t i = 0; i < options.fft_sizes.size(); ++i) {
    audio::StftOptions s;
    s.n_fft = options.fft_sizes[i];
    s.hop_length = options.hop_sizes[i];
    s.win_length = options.win_lengths[i];
    // |S| + eps: the original adds the epsilon to torch.abs (whose gradient at 0 is 0).
    const torch::Tensor xa = audio::stft(a, s).abs() + options.eps;
    const torch::Tensor xb = audio::stft(b, s).abs() + options.eps;
    sc.push_back((xb - xa).norm() / xb.norm());
    mag.push_back((xb.log() - xa.log()).abs().mean());
  }
  DwanStftLossResult out;
  out.spectral_convergence = torch::stack(sc).mean();
  out.log_magnitude = torch::stack(mag).mean();
  out.total = out.spectral_convergence + out.log_magnitude;
  return out;
}

torch::Tensor dwan_mrstft_loss(const torch::Tensor& y_hat, const torch::Tensor& y,
                               const DwanStftLossOptions& options) {
  return dwan_mrstft_loss_terms(y_hat, y, options).total;
}

}  // namespace xcodec::losses
