#pragma once
/// Conv2d with optional legacy weight normalisation (torch.nn.utils.weight_norm, dim 0):
/// parameters `weight_g` [out, 1, 1, 1] and `weight_v` [out, in, kh, kw], effective weight
/// g * v / ||v|| with the norm over all but the output dim and no epsilon (spec G13). Without
/// weight norm the parameter is `weight`, as in torch.nn.Conv2d, so released keys load by name.
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <array>
#include <cstdint>

namespace xcodec::models {

struct WeightNormConv2dOptions {
  int64_t in_channels = 1;                   ///< input channels
  int64_t out_channels = 1;                  ///< output channels
  std::array<int64_t, 2> kernel_size{1, 1};  ///< (height, width) taps
  std::array<int64_t, 2> stride{1, 1};       ///< (height, width) step, samples/bins
  std::array<int64_t, 2> padding{0, 0};      ///< zeros added on each side (height, width)
  bool bias = true;                          ///< learn a bias per output channel
  bool weight_norm = true;                   ///< weight_g/weight_v instead of weight
};

/// Weight-normalised 2-D convolution. Initialisation: PyTorch's Conv2d default (Kaiming-uniform
/// with a = sqrt(5), bias U(-1/sqrt(fan_in), 1/sqrt(fan_in))), then g = ||v||, as weight_norm
/// does when applied to a fresh layer.
class WeightNormConv2dImpl : public torch::nn::Cloneable<WeightNormConv2dImpl> {
 public:
  explicit WeightNormConv2dImpl(WeightNormConv2dOptions options);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;

  /// [B, in, H, W] → [B, out, H', W'].
  torch::Tensor forward(const torch::Tensor& x);
  /// The effective kernel [out, in, kh, kw] (g * v / ||v|| under weight norm).
  torch::Tensor weight() const;

  WeightNormConv2dOptions options;
  torch::Tensor weight_g;      ///< [out, 1, 1, 1] (weight norm only)
  torch::Tensor weight_v;      ///< [out, in, kh, kw] (weight norm only)
  torch::Tensor plain_weight;  ///< registered as "weight" (no weight norm)
  torch::Tensor bias;          ///< [out] (if options.bias)
};
TORCH_MODULE(WeightNormConv2d);

}  // namespace xcodec::models
