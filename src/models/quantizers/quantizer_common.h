#pragma once
// Private helpers shared by the Quantizer implementations (fsq, lfq, ema, vq).
#include <torch/types.h>

#include <string>

#include "core/torch_compat.h"

namespace xcodec::models::detail {

/// Throws ShapeError unless x is [B, T, dim]: "<who>: expected [B, T, <dim>], got [...]".
void check_quantizer_input(const torch::Tensor& x, int64_t dim, const std::string& who);

/// Throws ShapeError unless indices is an integer [B, T, q] tensor.
void check_quantizer_indices(const torch::Tensor& indices, int64_t q, const std::string& who);

/// x in float32 unless it already is float32/float64 (Gotcha 7: quantise in full precision).
torch::Tensor to_quantizer_precision(const torch::Tensor& x);

/// A float32 zero scalar on x's device (the loss of a quantizer without one).
torch::Tensor zero_loss(const torch::Tensor& like);

/// Switches CUDA autocast off for its lifetime (the original runs quantisation under
/// `autocast(enabled=False)`), so distance matmuls are not silently done in half precision.
class NoAutocastScope {
 public:
  NoAutocastScope() : prev_(compat::cuda_autocast_enabled()) {
    if (prev_) set(false);
  }
  ~NoAutocastScope() {
    if (prev_) set(true);
  }
  NoAutocastScope(const NoAutocastScope&) = delete;
  NoAutocastScope& operator=(const NoAutocastScope&) = delete;

 private:
  static void set(bool enabled) {
#if XCODEC_TORCH_AT_LEAST(2, 4)
    at::autocast::set_autocast_enabled(at::kCUDA, enabled);
#else
    at::autocast::set_enabled(enabled);
#endif
  }
  bool prev_;
};

}  // namespace xcodec::models::detail
