#pragma once
/// BigCodec residual unit (spec xcodec2.md §4.4): y = x + conv1x1(act2(conv7_d(act1(x)))),
/// registered as `block.0` (Activation1d), `block.1` (WNConv1d k7, dilation d, padding 3d),
/// `block.2` (Activation1d), `block.3` (WNConv1d k1).
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace xcodec::models {

struct ResidualUnitOptions {
  ResidualUnitOptions(int64_t channels, int64_t dilation)
      : channels(channels), dilation(dilation) {}
  int64_t channels;         ///< C (in = out)
  int64_t dilation;         ///< dilation of the 7-tap conv, samples
  int64_t kernel_size = 7;  ///< taps of the dilated conv
};

class ResidualUnitImpl : public torch::nn::Cloneable<ResidualUnitImpl> {
 public:
  explicit ResidualUnitImpl(ResidualUnitOptions options);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// [B, C, L] → [B, C, L]
  torch::Tensor forward(const torch::Tensor& x);

  ResidualUnitOptions options;
  torch::nn::Sequential block{nullptr};
};
TORCH_MODULE(ResidualUnit);

}  // namespace xcodec::models
