#pragma once
/// DwanCodec's ConvNeXt encoder (`models/encoder.py`; spec quantizers-and-variants.md §5.2):
///   stem Conv1d(1 → dims[0], k7, p3);
///   per stage i: downsample = GroupNorm(1, in) + Conv1d(in → dims[i], k 2s, stride s, pad s/2),
///                then depths[i] ConvNeXt blocks (dw k7, intermediate 4·dims[i]);
///   final_norm LayerNorm(dims[last], eps 1e-5); final_proj Linear(dims[last] → out_dim).
/// [B, 1, L] → [B, T, out_dim] with T = floor(L / Π strides) (channel-last: what the quantizer
/// takes; the original transposes to [B, out_dim, T] and back).
/// Keys: `stem`, `stages.{i}.0.{0,1}` (GroupNorm, Conv1d), `stages.{i}.1.{j}.*` (blocks),
/// `final_norm`, `final_proj`.
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <vector>

namespace xcodec::models {

struct DwanEncoderOptions {
  std::vector<int64_t> strides{8, 8, 8};     ///< downsampling per stage (even)
  std::vector<int64_t> dims{128, 256, 512};  ///< width per stage (≥ len(strides) entries)
  std::vector<int64_t> depths{3, 3, 9};      ///< ConvNeXt blocks per stage
  double layer_scale = 1e-6;                 ///< gamma init of the blocks (<= 0: none)
  int64_t out_dim = 5;                       ///< latent width (the quantizer's dim)
};

class DwanEncoderImpl : public torch::nn::Cloneable<DwanEncoderImpl> {
 public:
  explicit DwanEncoderImpl(DwanEncoderOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// wave [B, 1, L] → latent [B, floor(L / hop), out_dim]
  torch::Tensor forward(const torch::Tensor& wave);
  /// Π strides, samples per frame.
  int64_t hop() const;

  DwanEncoderOptions options;
  torch::nn::Conv1d stem{nullptr};
  torch::nn::ModuleList stages{
      nullptr};  ///< ModuleList(ModuleList(GroupNorm, Conv1d), ModuleList(blocks))
  torch::nn::LayerNorm final_norm{nullptr};
  torch::nn::Linear final_proj{nullptr};
};
TORCH_MODULE(DwanEncoder);

}  // namespace xcodec::models
