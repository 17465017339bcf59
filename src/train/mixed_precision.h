#pragma once
// Mixed-precision helpers of the trainer (private to src/train): a minimal float16 loss scaler
// and a CUDA autocast scope.
#include <torch/torch.h>

#include <algorithm>
#include <vector>

#include "core/torch_compat.h"

namespace xcodec::train {

/// Float16 training needs the loss scaled so small gradients survive (the original used
/// Lightning's GradScaler); LibTorch 1.13 has no C++ GradScaler, so this is a minimal one.
struct LossScaler {
  bool enabled = false;
  double scale = 65536.0;
  int64_t good_steps = 0;
  torch::Tensor apply(const torch::Tensor& loss) const { return enabled ? loss * scale : loss; }
  /// Unscales gradients in place; false when any is non-finite (the step must be skipped).
  bool unscale(const std::vector<torch::Tensor>& params) {
    if (!enabled) return true;
    bool ok = true;
    for (const auto& p : params) {
      if (!p.grad().defined()) continue;
      p.grad().div_(scale);
      ok = ok && torch::isfinite(p.grad()).all().item<bool>();
    }
    return ok;
  }
  void update(bool ok) {
    if (!enabled) return;
    if (!ok) {
      scale = std::max(1.0, scale / 2);
      good_steps = 0;
    } else if (++good_steps % 2000 == 0) {
      scale *= 2;
    }
  }
};

/// Mixed-precision autocast for the forward passes (CUDA only; see TrainerConfig::precision).
class AutocastScope {
 public:
  AutocastScope(bool enabled, torch::ScalarType dtype) : enabled_(enabled) {
    if (!enabled_) return;
    prev_ = compat::cuda_autocast_enabled();
    compat::set_cuda_autocast(true, dtype);
  }
  ~AutocastScope() {
    if (!enabled_) return;
    compat::set_cuda_autocast(prev_, torch::kFloat16);
    at::autocast::clear_cache();
  }

 private:
  bool enabled_;
  bool prev_ = false;
};

}  // namespace xcodec::train
