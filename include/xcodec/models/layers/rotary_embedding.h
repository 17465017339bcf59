#pragma once
/// torchtune 0.3.1 RotaryPositionalEmbeddings (interleaved pairs, base 10000) applied the way
/// X-Codec-2.0's decoder transformer applies it (spec xcodec2.md §7.2, G10): the module gets
/// q/k as [B, heads, T, head_dim] while expecting [B, seq, heads, head_dim], so the "position"
/// of every vector is its HEAD index. q and k of a head are rotated alike, so attention scores
/// are unchanged up to rounding; it is reproduced for bit-level fidelity.
/// The cos/sin tables for positions 0..heads−1 are computed once (non-persistent buffers).
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace xcodec::models {

struct RotaryEmbeddingOptions {
  RotaryEmbeddingOptions(int64_t dim, int64_t positions) : dim(dim), positions(positions) {}
  int64_t dim;            ///< rotated width (= head_dim, even)
  int64_t positions;      ///< table length (= number of heads, the axis used as position)
  double base = 10000.0;  ///< θ_i = base^(−2i/dim)
};

class RotaryEmbeddingImpl : public torch::nn::Cloneable<RotaryEmbeddingImpl> {
 public:
  explicit RotaryEmbeddingImpl(RotaryEmbeddingOptions options);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// x [B, H, T, D] with H ≤ positions → rotated [B, H, T, D] (position = index along dim 1),
  /// computed in float32 and cast back to x's dtype.
  torch::Tensor forward(const torch::Tensor& x);

  RotaryEmbeddingOptions options;

 private:
  torch::Tensor cos_;  ///< "_cos" [positions, D/2]
  torch::Tensor sin_;  ///< "_sin" [positions, D/2]
};
TORCH_MODULE(RotaryEmbedding);

}  // namespace xcodec::models
