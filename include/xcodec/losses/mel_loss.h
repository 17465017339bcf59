#pragma once
/// Multi-resolution mel loss of X-Codec-2.0 (`criterions/mel_loss.py`,
/// MultiResolutionMelSpectrogramLoss; spec §11.1):
///   L = Σ_r mean |log10(clamp(M_r(ŷ), eps)^pow) − log10(clamp(M_r(y), eps)^pow)|
/// over 7 torchaudio MelSpectrograms (n_fft = win = 32..2048, hop = win/4, n_mels 5..320,
/// magnitude, centred reflect-padded STFT, periodic Hann, Slaney mel scale and norm,
/// f_min 0, f_max sr/2). The sum is over resolutions, not a mean. λ (15) is applied by the caller.
#include <torch/types.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

#include "xcodec/audio/mel_filterbank.h"

namespace xcodec::losses {

struct MultiResolutionMelLossOptions {
  double sample_rate = 16000;                                ///< Hz
  std::vector<int64_t> n_mels{5, 10, 20, 40, 80, 160, 320};  ///< filters per resolution
  std::vector<int64_t> window_lengths{32,  64,   128, 256,
                                      512, 1024, 2048};  ///< n_fft = win, samples; hop = win/4
  double clamp_eps = 1e-5;  ///< floor of the mel magnitude before log10
  double pow = 1.0;         ///< exponent applied after the clamp
  double f_min = 0.0;       ///< Hz
  double f_max = 0.0;       ///< Hz; <= 0 means sample_rate / 2

  void validate(const std::string& path = "mel_loss") const;
  void from_yaml(const YAML::Node& node, const std::string& path = "mel_loss");
  YAML::Node to_yaml() const;
  bool operator==(const MultiResolutionMelLossOptions& o) const;
};

/// The loss value and its per-resolution terms (scalars on the input's device).
struct MelLossResult {
  torch::Tensor total;                   ///< Σ per_scale
  std::vector<torch::Tensor> per_scale;  ///< one L1 log-mel distance per resolution
};

/// Stateless apart from cached windows/filter banks per device; thread-safe; copyable.
class MultiResolutionMelLoss {
 public:
  explicit MultiResolutionMelLoss(MultiResolutionMelLossOptions options = {});

  /// y_hat, y: [B, T] or [B, 1, T] (same shape). Differentiable w.r.t. y_hat (and y).
  MelLossResult operator()(const torch::Tensor& y_hat, const torch::Tensor& y) const;
  /// Mel spectrogram of resolution i, before clamp/log: [B, n_mels_i, frames_i].
  torch::Tensor mel(size_t i, const torch::Tensor& signal) const;
  size_t num_resolutions() const { return transforms_.size(); }
  const MultiResolutionMelLossOptions& options() const { return options_; }

 private:
  MultiResolutionMelLossOptions options_;
  std::vector<audio::MelSpectrogram> transforms_;
};

}  // namespace xcodec::losses
