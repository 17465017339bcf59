#pragma once
/// Vocos ISTFT head with the original's "same" padding (spec xcodec2.md §7.3, G11):
/// P = out(x) (Linear dim → n_fft+2); mag = min(exp(P[:n_fft/2+1]), 100); φ = P[n_fft/2+1:];
/// S = mag·(cos φ + i sin φ); frames = irfft(S, n_fft)·window (periodic Hann); overlap-add
/// with hop; trim (win − hop)/2 per side; divide by the overlap-added window² envelope.
/// Output: exactly hop·T samples. Keys: `out.weight`, `out.bias`, `istft.window`.
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "xcodec/models/layers/foldable.h"

namespace xcodec::models {

struct IstftOptions {
  IstftOptions(int64_t n_fft, int64_t hop_length) : n_fft(n_fft), hop_length(hop_length) {}
  int64_t n_fft;       ///< FFT size = window length, samples
  int64_t hop_length;  ///< samples between frames
};

/// "same"-padded inverse STFT. When folded, the window envelope is precomputed once: its first
/// and last (win − hop)/2 samples and its hop-periodic interior (valid for any T ≥ n_fft/hop − 1;
/// fewer frames are computed directly).
class IstftImpl : public torch::nn::Cloneable<IstftImpl>, public Foldable {
 public:
  explicit IstftImpl(IstftOptions options);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// spec [B, n_fft/2+1, T] complex → [B, hop·T]
  torch::Tensor forward(const torch::Tensor& spec);
  int64_t pad() const { return (options.n_fft - options.hop_length) / 2; }

  void fold() override;
  void unfold() override { folded_ = false; }
  bool folded() const override { return folded_; }

  IstftOptions options;
  torch::Tensor window;  ///< buffer [n_fft], periodic Hann

 private:
  /// Overlap-added window² of T frames, trimmed: [hop·T] (float32 on the window's device).
  torch::Tensor envelope(int64_t frames) const;
  /// The direct computation (fold of window²), used for small T and to build the cache.
  torch::Tensor envelope_direct(int64_t frames) const;
  bool folded_ = false;
  torch::Tensor env_head_;    ///< "_env_head" [pad]
  torch::Tensor env_period_;  ///< "_env_period" [hop]
  torch::Tensor env_tail_;    ///< "_env_tail" [pad]
};
TORCH_MODULE(Istft);

struct IstftHeadOptions {
  IstftHeadOptions(int64_t dim, int64_t n_fft, int64_t hop_length)
      : dim(dim), n_fft(n_fft), hop_length(hop_length) {}
  int64_t dim;             ///< input width
  int64_t n_fft;           ///< samples
  int64_t hop_length;      ///< samples
  double mag_max = 100.0;  ///< magnitude clip after exp
};

/// Intermediate values of the head (for tests and debugging).
struct IstftHeadOutput {
  torch::Tensor audio;  ///< [B, 1, hop·T]
  torch::Tensor mag;    ///< [B, n_fft/2+1, T] clipped magnitude
  torch::Tensor phase;  ///< [B, n_fft/2+1, T]
};

class IstftHeadImpl : public torch::nn::Cloneable<IstftHeadImpl> {
 public:
  explicit IstftHeadImpl(IstftHeadOptions options);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// x [B, T, dim] → audio [B, 1, hop·T]
  torch::Tensor forward(const torch::Tensor& x);
  IstftHeadOutput forward_detailed(const torch::Tensor& x);

  IstftHeadOptions options;
  torch::nn::Linear out{nullptr};
  Istft istft{nullptr};
};
TORCH_MODULE(IstftHead);

}  // namespace xcodec::models
