#pragma once
// The one place where differences between LibTorch 1.13 (Debian, CI) and 2.x (CUDA users) live.
#include <torch/version.h>

#define XCODEC_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) ||         \
   (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

#include <ATen/autocast_mode.h>

#include <variant>

namespace xcodec::compat {

// CUDA autocast on/off and its dtype: LibTorch 2.4 replaced the GPU-specific calls with
// device-type ones (the old names remain, deprecated).
inline bool cuda_autocast_enabled() {
#if XCODEC_TORCH_AT_LEAST(2, 4)
  return at::autocast::is_autocast_enabled(at::kCUDA);
#else
  return at::autocast::is_enabled();
#endif
}

inline void set_cuda_autocast(bool enabled, c10::ScalarType dtype) {
#if XCODEC_TORCH_AT_LEAST(2, 4)
  at::autocast::set_autocast_enabled(at::kCUDA, enabled);
  at::autocast::set_autocast_dtype(at::kCUDA, dtype);
#else
  at::autocast::set_enabled(enabled);
  at::autocast::set_autocast_gpu_dtype(dtype);
#endif
}

// The option variants of torch::nn (padding, padding_mode, ...) are c10::variant in 1.x and
// std::variant in 2.x; with std::get_if in scope, argument-dependent lookup picks the right one.
template <typename T, typename Variant>
auto variant_get_if(Variant* v) {
  using std::get_if;
  return get_if<T>(v);
}

}  // namespace xcodec::compat
