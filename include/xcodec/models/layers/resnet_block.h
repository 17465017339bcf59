#pragma once
/// Taming-transformers style ResnetBlock used by the Vocos backbone (spec xcodec2.md §7.2):
/// h = conv2(dropout(swish(norm2(conv1(swish(norm1(x))))))); y = x + h, with GroupNorm(32,
/// eps 1e-6, affine), Conv1d k3 p1 with bias, Dropout 0.1 (training only). in = out channels,
/// no time embedding. Keys: `norm1`, `conv1`, `norm2`, `conv2` (`dropout` has no state).
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace xcodec::models {

struct ResnetBlockOptions {
  explicit ResnetBlockOptions(int64_t channels) : channels(channels) {}
  int64_t channels;      ///< C (must be divisible by groups)
  int64_t groups = 32;   ///< GroupNorm groups
  double eps = 1e-6;     ///< GroupNorm eps
  double dropout = 0.1;  ///< active in training mode only
};

class ResnetBlockImpl : public torch::nn::Cloneable<ResnetBlockImpl> {
 public:
  explicit ResnetBlockImpl(ResnetBlockOptions options);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// [B, C, T] → [B, C, T]
  torch::Tensor forward(const torch::Tensor& x);

  ResnetBlockOptions options;
  torch::nn::GroupNorm norm1{nullptr};
  torch::nn::Conv1d conv1{nullptr};
  torch::nn::GroupNorm norm2{nullptr};
  torch::nn::Dropout dropout{nullptr};
  torch::nn::Conv1d conv2{nullptr};
};
TORCH_MODULE(ResnetBlock);

}  // namespace xcodec::models
