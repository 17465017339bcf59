#pragma once
/// Weight-normalised Conv1d with the legacy `torch.nn.utils.weight_norm` parametrisation
/// (spec xcodec2.md §4.1, G13): parameters `weight_g` [out, 1, 1], `weight_v` [out, in, k] and
/// `bias` [out]; effective weight W[o] = g[o] · v[o] / ||v[o]||₂ (norm over in and k, no eps).
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "xcodec/models/layers/foldable.h"

namespace xcodec::models {

struct WNConv1dOptions {
  WNConv1dOptions(int64_t in_channels, int64_t out_channels, int64_t kernel_size)
      : in_channels(in_channels), out_channels(out_channels), kernel_size(kernel_size) {}
  int64_t in_channels;   ///< input channels
  int64_t out_channels;  ///< output channels
  int64_t kernel_size;   ///< taps
  int64_t stride = 1;    ///< samples
  int64_t padding = 0;   ///< zero padding on each side, samples
  int64_t dilation = 1;  ///< tap spacing, samples
  bool bias = true;      ///< learnable bias [out]
};

/// Weight-normalised 1-D convolution. In training the weight is recomputed from g and v on
/// every call (so gradients reach g and v); `fold()` computes it once for inference.
class WNConv1dImpl : public torch::nn::Cloneable<WNConv1dImpl>, public Foldable {
 public:
  explicit WNConv1dImpl(WNConv1dOptions options);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;

  /// [B, in, L] → [B, out, floor((L + 2p - d(k-1) - 1)/s) + 1]
  torch::Tensor forward(const torch::Tensor& x);
  /// The effective weight [out, in, k] (folded copy if folded, else computed from g and v).
  torch::Tensor weight() const;

  void fold() override;
  void unfold() override { folded_ = false; }
  bool folded() const override { return folded_; }

  WNConv1dOptions options;
  torch::Tensor weight_g;  ///< [out, 1, 1]
  torch::Tensor weight_v;  ///< [out, in, k]
  torch::Tensor bias;      ///< [out] (undefined if options.bias is false)

 private:
  bool folded_ = false;
  torch::Tensor folded_weight_;  ///< buffer "_weight" once folded
};
TORCH_MODULE(WNConv1d);

}  // namespace xcodec::models
