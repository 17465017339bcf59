#pragma once
/// Vocos backbone of X-Codec-2.0 (`generator.backbone`; spec xcodec2.md §7.2):
/// embed (Conv1d k7 p3) → prior_net (2 ResnetBlocks) → `depth` TransformerBlocks →
/// post_net (2 ResnetBlocks) → final_layer_norm (LayerNorm eps 1e-6). Input and output are
/// time-major [B, T, hidden_dim].
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace xcodec::models {

struct VocosBackboneOptions {
  int64_t hidden_dim = 1024;  ///< width, channels
  int64_t depth = 12;         ///< transformer blocks
  int64_t heads = 16;         ///< attention heads
  int64_t pos_meb_dim = 64;   ///< RoPE width (= hidden_dim / heads)
  int64_t resnet_blocks = 2;  ///< ResnetBlocks in prior_net and in post_net each
  double dropout = 0.1;       ///< ResnetBlock dropout (training only)
};

/// Per-stage outputs (for parity tests).
struct VocosBackboneStages {
  torch::Tensor embed;                      ///< [B, C, T]
  torch::Tensor prior_net;                  ///< [B, C, T]
  std::vector<torch::Tensor> transformers;  ///< depth × [B, T, C]
  torch::Tensor post_net;                   ///< [B, C, T]
  torch::Tensor out;                        ///< [B, T, C]
};

class VocosBackboneImpl : public torch::nn::Cloneable<VocosBackboneImpl> {
 public:
  explicit VocosBackboneImpl(VocosBackboneOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// [B, T, C] → [B, T, C]
  torch::Tensor forward(const torch::Tensor& x);
  VocosBackboneStages forward_stages(const torch::Tensor& x);

  VocosBackboneOptions options;
  torch::nn::Conv1d embed{nullptr};
  torch::nn::Sequential prior_net{nullptr};
  torch::nn::Sequential transformers{nullptr};
  torch::nn::Sequential post_net{nullptr};
  torch::nn::LayerNorm final_layer_norm{nullptr};
};
TORCH_MODULE(VocosBackbone);

}  // namespace xcodec::models
