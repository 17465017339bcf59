#pragma once
/// RMSNorm of `bs_roformer5.py` (spec xcodec2.md §7.2, G12): y = x·rsqrt(mean(x², −1) + eps)·w,
/// weight only (`weight` [dim]), eps 1e-6, computed in the input dtype.
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace xcodec::models {

struct RmsNormOptions {
  explicit RmsNormOptions(int64_t dim) : dim(dim) {}
  int64_t dim;        ///< normalised (last) dimension
  double eps = 1e-6;  ///< added inside the rsqrt
};

class RmsNormImpl : public torch::nn::Cloneable<RmsNormImpl> {
 public:
  explicit RmsNormImpl(RmsNormOptions options);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// [..., dim] → [..., dim]
  torch::Tensor forward(const torch::Tensor& x);

  RmsNormOptions options;
  torch::Tensor weight;  ///< [dim], initialised to 1
};
TORCH_MODULE(RmsNorm);

}  // namespace xcodec::models
