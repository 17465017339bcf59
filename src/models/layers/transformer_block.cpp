#include "xcodec/models/layers/transformer_block.h"

#include <torch/torch.h>

#include <cmath>

#include "xcodec/core/error.h"
#include "xcodec/models/layers/compute_precision.h"
#include "xcodec/models/layers/onednn_linear.h"
#include "xcodec/models/layers/parameter_init.h"

namespace xcodec::models {

namespace {
torch::nn::Linear linear_no_bias(int64_t in, int64_t out) {
  return make_linear(torch::nn::LinearOptions(in, out).bias(false));
}

// softmax(q kᵀ · scale) v for q, k, v [B, H, T, D], one (batch, head) at a time through
// fast_linear (oneDNN): a head's T x T scores stay in cache for the softmax, which runs in
// place, and the result lands time-major as [B, T, H·D], the layout c_proj reads. Scaling q
// instead of the scores changes nothing when the scale is a power of two (head_dim 4, 16, 64,
// 256) and only float32 rounding otherwise.
torch::Tensor attention_by_head(const torch::Tensor& q, const torch::Tensor& k,
                                const torch::Tensor& v, double scale) {
  const int64_t batch = q.size(0);
  const int64_t heads = q.size(1);
  const int64_t t = q.size(2);
  const int64_t d = q.size(3);
  const torch::Tensor qs = (q * scale).contiguous();
  const torch::Tensor kc = k.contiguous();
  const torch::Tensor vt = v.transpose(-2, -1).contiguous();  // [B, H, D, T]: weight of p·v
  torch::Tensor out = torch::empty({batch, t, heads, d}, q.options());
  for (int64_t bi = 0; bi < batch; ++bi) {
    for (int64_t hi = 0; hi < heads; ++hi) {
      torch::Tensor p = fast_linear(qs[bi][hi], kc[bi][hi], {});  // [T, T] scores
      at::_softmax_out(p, p, -1, false);
      out[bi].select(1, hi).copy_(fast_linear(p, vt[bi][hi], {}));
    }
  }
  return out.view({batch, t, heads * d});
}
}  // namespace

SelfAttentionImpl::SelfAttentionImpl(TransformerBlockOptions options_) : options(options_) {
  reset();
}

void SelfAttentionImpl::reset() {
  if (options.dim % options.heads != 0) {
    throw ConfigError("attention: dim " + std::to_string(options.dim) +
                      " is not a multiple of heads " + std::to_string(options.heads));
  }
  c_attn = register_module("c_attn", linear_no_bias(options.dim, 3 * options.dim));
  c_proj = register_module("c_proj", linear_no_bias(options.dim, options.dim));
  if (options.rope) {
    // Positions are head indices (the original's quirk), so the table has `heads` rows.
    rotary = register_module("_rotary", RotaryEmbedding(RotaryEmbeddingOptions(
                                            options.dim / options.heads, options.heads)));
  }
}

void SelfAttentionImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::SelfAttention(dim=" << options.dim << ", heads=" << options.heads
         << ")";
}

torch::Tensor SelfAttentionImpl::forward(const torch::Tensor& x) {
  const int64_t b = x.size(0);
  const int64_t t = x.size(1);
  const int64_t h = options.heads;
  const int64_t d = options.dim / h;
  // 'b t (r h d) -> r b h t d'
  const torch::Tensor qkv =
      linear_forward(*c_attn, x).view({b, t, 3, h, d}).permute({2, 0, 3, 1, 4});
  torch::Tensor q = qkv[0];
  torch::Tensor k = qkv[1];
  const torch::Tensor v = qkv[2];
  if (rotary) {
    q = rotary->forward(q);
    k = rotary->forward(k);
  }
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  // With a lowered c_attn (compute_precision.h) the two attention products run in the same
  // 16-bit type; the softmax stays float32.
  const torch::Tensor lw = lowered_weight(*c_attn);
  if (!lw.defined() &&
      takes_onednn_linear(q.select(0, 0).select(0, 0), k.select(0, 0).select(0, 0))) {
    return linear_forward(*c_proj, attention_by_head(q, k, v, scale));
  }
  const auto low = [&](const torch::Tensor& t) {
    return lw.defined() ? t.to(lw.scalar_type()) : t;
  };
  const torch::Tensor scores =
      torch::matmul(low(q), low(k).transpose(-2, -1)).to(x.scalar_type()) * scale;
  const torch::Tensor y =
      torch::matmul(low(torch::softmax(scores, -1)), low(v)).to(x.scalar_type());  // [B, H, T, D]
  return linear_forward(*c_proj, y.transpose(1, 2).reshape({b, t, h * d}));
}

MlpImpl::MlpImpl(TransformerBlockOptions options_) : options(options_) { reset(); }

void MlpImpl::reset() {
  fc1 = register_module("fc1", linear_no_bias(options.dim, options.mlp_ratio * options.dim));
  fc2 = register_module("fc2", linear_no_bias(options.mlp_ratio * options.dim, options.dim));
}

void MlpImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::MLP(" << options.dim << " -> " << options.mlp_ratio * options.dim
         << ")";
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
  return linear_forward(*fc2, torch::silu(linear_forward(*fc1, x)));
}

TransformerBlockImpl::TransformerBlockImpl(TransformerBlockOptions options_) : options(options_) {
  reset();
}

void TransformerBlockImpl::reset() {
  RmsNormOptions no(options.dim);
  no.eps = options.norm_eps;
  att_norm = register_module("att_norm", RmsNorm(no));
  ffn_norm = register_module("ffn_norm", RmsNorm(no));
  att = register_module("att", SelfAttention(options));
  mlp = register_module("mlp", Mlp(options));
}

void TransformerBlockImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::TransformerBlock(dim=" << options.dim << ", heads=" << options.heads
         << ")";
}

torch::Tensor TransformerBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = x + att->forward(att_norm->forward(x));
  return y + mlp->forward(ffn_norm->forward(y));
}

}  // namespace xcodec::models
