#pragma once
/// Pre-norm transformer block of X-Codec-2.0's decoder (`bs_roformer5.py`; spec xcodec2.md
/// §7.2): x += att(att_norm(x)); x += mlp(ffn_norm(x)). No biases anywhere.
/// Keys: `att_norm.weight`, `ffn_norm.weight`, `att.c_attn.weight` [3·dim, dim] (q | k | v,
/// heads contiguous inside each), `att.c_proj.weight`, `mlp.fc1.weight` [4·dim, dim],
/// `mlp.fc2.weight`. RoPE acts along the head axis (see rotary_embedding.h); each attention
/// owns its (tiny, non-persistent) table as `_rotary`, so clone() and to(device) stay consistent.
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "xcodec/models/layers/rms_norm.h"
#include "xcodec/models/layers/rotary_embedding.h"

namespace xcodec::models {

struct TransformerBlockOptions {
  TransformerBlockOptions(int64_t dim, int64_t heads) : dim(dim), heads(heads) {}
  int64_t dim;             ///< model width
  int64_t heads;           ///< attention heads (head_dim = dim / heads)
  int64_t mlp_ratio = 4;   ///< hidden width of the MLP = mlp_ratio · dim
  double norm_eps = 1e-6;  ///< RMSNorm eps
  bool rope = true;        ///< apply the (head-axis) rotary embedding to q and k
};

/// Multi-head self-attention without mask or bias: c_attn → (RoPE on q, k) → softmax(qkᵀ/√d)v
/// → c_proj.
class SelfAttentionImpl : public torch::nn::Cloneable<SelfAttentionImpl> {
 public:
  explicit SelfAttentionImpl(TransformerBlockOptions options);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// [B, T, dim] → [B, T, dim]
  torch::Tensor forward(const torch::Tensor& x);

  TransformerBlockOptions options;
  torch::nn::Linear c_attn{nullptr};
  torch::nn::Linear c_proj{nullptr};
  RotaryEmbedding rotary{nullptr};  ///< registered as "_rotary" (no persistent state)
};
TORCH_MODULE(SelfAttention);

/// fc1 → SiLU → fc2, no bias.
class MlpImpl : public torch::nn::Cloneable<MlpImpl> {
 public:
  explicit MlpImpl(TransformerBlockOptions options);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  torch::Tensor forward(const torch::Tensor& x);

  TransformerBlockOptions options;
  torch::nn::Linear fc1{nullptr};
  torch::nn::Linear fc2{nullptr};
};
TORCH_MODULE(Mlp);

class TransformerBlockImpl : public torch::nn::Cloneable<TransformerBlockImpl> {
 public:
  explicit TransformerBlockImpl(TransformerBlockOptions options);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// [B, T, dim] → [B, T, dim]
  torch::Tensor forward(const torch::Tensor& x);

  TransformerBlockOptions options;
  RmsNorm att_norm{nullptr};
  RmsNorm ffn_norm{nullptr};
  SelfAttention att{nullptr};
  Mlp mlp{nullptr};
};
TORCH_MODULE(TransformerBlock);

}  // namespace xcodec::models
