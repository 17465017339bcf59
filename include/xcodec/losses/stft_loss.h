#pragma once
/// Multi-resolution STFT loss (loss term `stft`: off in the X-Codec-2.0 recipe, 10 × in
/// DwanCodec's), in the Parallel WaveGAN form: per resolution, with |X| as `magnitude` says,
///   spectral convergence  ‖ |Y| − |Ŷ| ‖_F / ‖ |Y| ‖_F
///   log magnitude         mean |log |Y| − log |Ŷ||
/// each averaged over the resolutions (SC over the whole batch tensor); the loss is their sum.
#include <torch/types.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

namespace xcodec::losses {

struct MultiResolutionStftLossOptions {
  std::vector<int64_t> fft_sizes{1024, 2048, 512};   ///< samples
  std::vector<int64_t> hop_sizes{120, 240, 50};      ///< samples
  std::vector<int64_t> win_lengths{600, 1200, 240};  ///< samples (<= fft size)
  /// "clamp": |X| = sqrt(clamp(re² + im², 1e-7)) (Parallel WaveGAN, X-Codec-2.0); "add":
  /// |X| = |STFT| + 1e-7 (DwanCodec's `utils/loss.py`: the epsilon is added, so silence gives
  /// finite values and gradients).
  std::string magnitude = "clamp";

  /// DwanCodec's variant (spec quantizers-and-variants.md §5.4): (512, 120, 512),
  /// (1024, 240, 1024), (2048, 480, 2048), magnitude "add".
  static MultiResolutionStftLossOptions dwan();

  void validate(const std::string& path = "stft_loss") const;
  void from_yaml(const YAML::Node& node, const std::string& path = "stft_loss");
  YAML::Node to_yaml() const;
  bool operator==(const MultiResolutionStftLossOptions& o) const {
    return fft_sizes == o.fft_sizes && hop_sizes == o.hop_sizes && win_lengths == o.win_lengths &&
           magnitude == o.magnitude;
  }
};

struct StftLossResult {
  torch::Tensor total;                 ///< spectral_convergence + log_magnitude
  torch::Tensor spectral_convergence;  ///< mean over resolutions
  torch::Tensor log_magnitude;         ///< mean over resolutions
};

/// y_hat, y: [B, T] or [B, 1, T].
StftLossResult multi_resolution_stft_loss(const torch::Tensor& y_hat, const torch::Tensor& y,
                                          const MultiResolutionStftLossOptions& options = {});

}  // namespace xcodec::losses
