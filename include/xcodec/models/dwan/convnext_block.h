#pragma once
/// ConvNeXt block of Vocos, as DwanCodec's encoder and decoder use it (spec
/// quantizers-and-variants.md §5.2; vocos `modules.py`):
///   r = x; x = dwconv(x) (depthwise, k taps, padding k/2); [B,C,T] → [B,T,C]; LayerNorm(eps 1e-6);
///   Linear C→I; GELU (exact erf); Linear I→C; x *= gamma (if layer_scale > 0); → [B,C,T]; r + x
/// Keys: `dwconv.{weight,bias}`, `norm.{weight,bias}`, `pwconv1.*`, `pwconv2.*`, `gamma`.
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace xcodec::models {

struct ConvNextBlockOptions {
  ConvNextBlockOptions(int64_t dim, int64_t intermediate, int64_t dw_kernel, double layer_scale)
      : dim(dim), intermediate(intermediate), dw_kernel(dw_kernel), layer_scale(layer_scale) {}
  int64_t dim;           ///< channels C
  int64_t intermediate;  ///< hidden width I of the pointwise MLP
  int64_t dw_kernel;     ///< depthwise taps (odd)
  double layer_scale;    ///< gamma init; <= 0 = no gamma parameter
};

class ConvNextBlockImpl : public torch::nn::Cloneable<ConvNextBlockImpl> {
 public:
  explicit ConvNextBlockImpl(ConvNextBlockOptions options);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// [B, C, T] → [B, C, T]
  torch::Tensor forward(const torch::Tensor& x);

  ConvNextBlockOptions options;
  torch::nn::Conv1d dwconv{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Linear pwconv1{nullptr};
  torch::nn::Linear pwconv2{nullptr};
  torch::Tensor gamma;  ///< [C] (undefined without layer scale)
};
TORCH_MODULE(ConvNextBlock);

/// trunc_normal(std 0.02) weights and zero biases for every Conv1d and Linear under `module`
/// (the `_init_weights` of the original encoder and Vocos backbone).
void init_dwan_weights(torch::nn::Module& module);

}  // namespace xcodec::models
