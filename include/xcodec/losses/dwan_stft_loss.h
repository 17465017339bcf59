#pragma once
/// DwanCodec's multi-resolution STFT loss (`utils/loss.py` MultiResolutionSTFTLoss; spec
/// quantizers-and-variants.md §5.4). Per resolution (n_fft, hop, win), with centred, reflect-
/// padded STFTs under a periodic Hann window of `win` samples:
///   |X| = |STFT(ŷ)| + eps,  |Y| = |STFT(y)| + eps     (eps added, not clamped)
///   SC  = ‖|Y| − |X|‖_F / ‖|Y|‖_F                       (over the whole batch tensor)
///   mag = mean |log |Y| − log |X||
/// loss = mean over resolutions of (SC + mag). It differs from losses/stft_loss.h (Parallel
/// WaveGAN's form) in the resolutions, the epsilon and the averaging.
///
///   torch::Tensor l = losses::dwan_mrstft_loss(recon, target, {});   // [B, 1, L] each
#include <torch/types.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

namespace xcodec::losses {

struct DwanStftLossOptions {
  std::vector<int64_t> fft_sizes{512, 1024, 2048};    ///< samples
  std::vector<int64_t> hop_sizes{120, 240, 480};      ///< samples
  std::vector<int64_t> win_lengths{512, 1024, 2048};  ///< samples (<= fft size)
  double eps = 1e-7;  ///< added to every magnitude before the ratio and the log

  void validate(const std::string& path = "dwan_stft") const;
  void from_yaml(const YAML::Node& node, const std::string& path = "dwan_stft");
  YAML::Node to_yaml() const;
  bool operator==(const DwanStftLossOptions& o) const {
    return fft_sizes == o.fft_sizes && hop_sizes == o.hop_sizes && win_lengths == o.win_lengths &&
           eps == o.eps;
  }
};

struct DwanStftLossResult {
  torch::Tensor total;                 ///< mean over resolutions of (sc + log_magnitude)
  torch::Tensor spectral_convergence;  ///< mean over resolutions (for logging)
  torch::Tensor log_magnitude;         ///< mean over resolutions (for logging)
};

/// y_hat, y: [B, T] or [B, 1, T] of equal shape (ShapeError otherwise); float32 (half
/// precision inputs are transformed in float32).
DwanStftLossResult dwan_mrstft_loss_terms(const torch::Tensor& y_hat, const torch::Tensor& y,
                                          const DwanStftLossOptions& options = {});

/// dwan_mrstft_loss_terms(...).total: a scalar.
torch::Tensor dwan_mrstft_loss(const torch::Tensor& y_hat, const torch::Tensor& y,
                               const DwanStftLossOptions& options = {});

}  // namespace xcodec::losses
