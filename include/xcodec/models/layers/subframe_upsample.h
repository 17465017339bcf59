#pragma once
/// Ours, not in either original: the `head_upsample` step that lets an ISTFT head run r frames
/// per token. Each token's features [C] go through a Linear to r·C, are split into r frames,
/// then GELU and a LayerNorm (the heads expect normalised input): [B, T, C] → [B, T·r, C], frame
/// t·r + k made from token t. Keys: `proj.*`, `norm.*`.
/// Not a ConvTranspose1d: LibTorch 1.13's CPU backward of it returned inf/NaN gradients at
/// random (uninitialised memory) in our measurements; a Linear per frame is deterministic.
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace xcodec::models {

class SubframeUpsampleImpl : public torch::nn::Cloneable<SubframeUpsampleImpl> {
 public:
  SubframeUpsampleImpl(int64_t dim, int64_t factor);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// [B, T, dim] → [B, T·factor, dim]
  torch::Tensor forward(const torch::Tensor& x);

  int64_t dim;
  int64_t factor;
  torch::nn::Linear proj{nullptr};
  torch::nn::LayerNorm norm{nullptr};
};
TORCH_MODULE(SubframeUpsample);

}  // namespace xcodec::models
