#pragma once
/// BigCodec encoder block (spec xcodec2.md §4.4): three ResidualUnits at the input width c
/// (dilations 1, 3, 9) as `block.0..2`, Activation1d as `block.3`, and a strided WNConv1d
/// c → 2c (kernel 2s, stride s, padding ceil(s/2)) as `block.4`.
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <vector>

namespace xcodec::models {

struct EncoderBlockOptions {
  EncoderBlockOptions(int64_t out_channels, int64_t stride)
      : out_channels(out_channels), stride(stride) {}
  int64_t out_channels;                     ///< output width C (input width is C/2)
  int64_t stride;                           ///< downsampling factor s
  std::vector<int64_t> dilations{1, 3, 9};  ///< one ResidualUnit per dilation
};

class EncoderBlockImpl : public torch::nn::Cloneable<EncoderBlockImpl> {
 public:
  explicit EncoderBlockImpl(EncoderBlockOptions options);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// [B, C/2, L] → [B, C, ~L/s]
  torch::Tensor forward(const torch::Tensor& x);

  EncoderBlockOptions options;
  torch::nn::Sequential block{nullptr};
};
TORCH_MODULE(EncoderBlock);

}  // namespace xcodec::models
