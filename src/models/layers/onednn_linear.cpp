#include "xcodec/models/layers/onednn_linear.h"

#include <torch/torch.h>

#include <atomic>

#include "xcodec/core/cpu_features.h"

namespace xcodec::models {

namespace {
// Below about 128 rows x 128 x 256 the two layout conversions cost more than oneDNN gains.
constexpr int64_t kMinMacs = int64_t{1} << 22;

std::atomic<int>& override_state() {
  static std::atomic<int> state{-1};  // -1: the CPU decides, 0/1: forced
  return state;
}
}  // namespace

bool onednn_fp32_linear_enabled() {
  const int forced = override_state().load();
  if (forced >= 0) return forced == 1;
  static const bool by_cpu = at::hasMKLDNN() && cpu_onednn_avx512();
  return by_cpu;
}

void set_onednn_fp32_linear(bool enabled) { override_state().store(enabled ? 1 : 0); }

bool takes_onednn_linear(const torch::Tensor& x, const torch::Tensor& weight) {
  if (!x.device().is_cpu() || x.scalar_type() != torch::kFloat32 || !weight.device().is_cpu() ||
      weight.scalar_type() != torch::kFloat32 || weight.dim() != 2 || x.dim() < 2 ||
      torch::GradMode::is_enabled()) {
    return false;
  }
  const int64_t rows = x.numel() / x.size(-1);
  return rows * weight.size(0) * weight.size(1) >= kMinMacs && onednn_fp32_linear_enabled();
}

torch::Tensor fast_linear(const torch::Tensor& x, const torch::Tensor& weight,
                          const torch::Tensor& bias) {
  if (!takes_onednn_linear(x, weight)) return torch::linear(x, weight, bias);
  const int64_t in = x.size(-1);
  std::vector<int64_t> out_shape = x.sizes().vec();
  out_shape.back() = weight.size(0);
  const torch::Tensor rows = x.reshape({-1, in}).contiguous();
  const torch::Tensor w = weight.is_contiguous() ? weight : weight.contiguous();
  return torch::mkldnn_linear(rows.to_mkldnn(), w, bias.defined() ? bias.contiguous() : bias)
      .to_dense()
      .view(out_shape);
}

}  // namespace xcodec::models
