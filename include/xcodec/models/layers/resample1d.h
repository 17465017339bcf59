#pragma once
/// Alias-free 2x resampling with a Kaiser-windowed sinc low-pass (BigVGAN `alias_free_torch`;
/// spec xcodec2.md §4.3). Each module keeps its filter as a persistent buffer, as in the
/// released checkpoint: `filter` [1, 1, K] on UpSample1d and on LowPassFilter1d (reached as
/// `downsample.lowpass.filter`).
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace xcodec::models {

/// kaiser_sinc_filter1d(cutoff, half_width, kernel_size) of the original, in float32:
/// returns [1, 1, kernel_size], normalised to sum 1.
torch::Tensor kaiser_sinc_filter1d(double cutoff, double half_width, int64_t kernel_size);

struct ResampleOptions {
  int64_t ratio = 2;         ///< up/down-sampling factor
  int64_t kernel_size = 12;  ///< filter taps (int(6·ratio/2)·2 in the original)
};

/// Upsampler: replicate-pad K/ratio-1, depthwise transposed conv with stride `ratio`, × ratio,
/// crop. [B, C, L] → [B, C, ratio·L].
class UpSample1dImpl : public torch::nn::Cloneable<UpSample1dImpl> {
 public:
  explicit UpSample1dImpl(ResampleOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  torch::Tensor forward(const torch::Tensor& x);

  ResampleOptions options;
  torch::Tensor filter;  ///< buffer [1, 1, K]
};
TORCH_MODULE(UpSample1d);

/// Low-pass filter with stride: replicate-pad (K/2-1, K/2) for even K, depthwise conv.
class LowPassFilter1dImpl : public torch::nn::Cloneable<LowPassFilter1dImpl> {
 public:
  explicit LowPassFilter1dImpl(ResampleOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// [B, C, L] → [B, C, ceil-ish L/stride] (L/ratio for even L)
  torch::Tensor forward(const torch::Tensor& x);

  ResampleOptions options;
  torch::Tensor filter;  ///< buffer [1, 1, K]
};
TORCH_MODULE(LowPassFilter1d);

/// Downsampler = LowPassFilter1d with stride `ratio` (registered as `lowpass`).
class DownSample1dImpl : public torch::nn::Cloneable<DownSample1dImpl> {
 public:
  explicit DownSample1dImpl(ResampleOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// [B, C, ratio·L] → [B, C, L]
  torch::Tensor forward(const torch::Tensor& x);

  ResampleOptions options;
  LowPassFilter1d lowpass{nullptr};
};
TORCH_MODULE(DownSample1d);

}  // namespace xcodec::models
