#pragma once
/// Fused CPU kernel for the inference path of Activation1d (float32, one [L] row at a time):
/// 2x polyphase upsample → SnakeBeta → low-pass + 2x decimate in one pass over time, with the
/// index and padding rules documented in activation1d.cpp. Pure float code, no LibTorch.
#include <cstdint>

namespace xcodec::models::kernels {

/// Per-row filter taps of the polyphase formulation (see activation1d.cpp).
struct SnakeAntiAliasTaps {
  float up_even[6];    ///< 2·f[11], 2·f[9], ..., 2·f[1] on xq[i+0..5]
  float up_odd[6];     ///< 2·f[10], 2·f[8], ..., 2·f[0] on xq[i+1..6]
  float down_even[6];  ///< f[1], f[3], ..., f[11] on Ep[i+1..6]
  float down_odd[6];   ///< f[0], f[2], ..., f[10] on Op[i+0..5]
};

/// Output samples [i0, i0 + n) of one row x[0, len) into y[0, n). Each output is computed by
/// the same arithmetic whatever i0 and n are, so splitting a row gives bit-identical results.
void snake_anti_alias_row(const float* x, int64_t len, int64_t i0, int64_t n, float scale,
                          float inv_beta, const SnakeAntiAliasTaps& taps, float* y);

/// Element type of the rows passed to snake_anti_alias_rows: bf16 as its 16-bit pattern.
enum class RowType { kFloat32, kBFloat16 };

/// Every row of x ([rows, len], row-major) into y (same shape): row r uses scale[r % channels]
/// and inv_beta[r % channels]. Runs on up to `threads` OpenMP threads (fewer when the work is
/// small); the result is the same for every thread count. bf16 input is widened exactly; the
/// arithmetic is float32 either way, and bf16 output is rounded to nearest even as LibTorch's
/// float→bf16 conversion does, so it equals the float32 result converted afterwards.
void snake_anti_alias_rows(const void* x, RowType x_type, int64_t rows, int64_t len,
                           int64_t channels, const float* scale, const float* inv_beta,
                           const SnakeAntiAliasTaps& taps, int threads, void* y, RowType y_type);

/// float32 in and out.
inline void snake_anti_alias_rows(const float* x, int64_t rows, int64_t len, int64_t channels,
                                  const float* scale, const float* inv_beta,
                                  const SnakeAntiAliasTaps& taps, int threads, float* y) {
  snake_anti_alias_rows(x, RowType::kFloat32, rows, len, channels, scale, inv_beta, taps, threads,
                        y, RowType::kFloat32);
}

/// Whether snake_anti_alias_rows was built with OpenMP (without, it runs on one thread).
bool snake_anti_alias_parallel();

/// y[i] = sin(x[i]): vectorised, a few ULP for |x| <= kFastSinMax, std::sin beyond (NaN and
/// infinities give NaN). x and y must not overlap.
void sin_approx(const float* x, int64_t n, float* y);

inline constexpr float kFastSinMax = 131072.0f;

/// The portable variants, which the two functions above use on CPUs without AVX2 and FMA
/// (there the reduction for sin runs in double); exposed for the tests.
void snake_anti_alias_row_portable(const float* x, int64_t len, int64_t i0, int64_t n, float scale,
                                   float inv_beta, const SnakeAntiAliasTaps& taps, float* y);
void sin_approx_portable(const float* x, int64_t n, float* y);

}  // namespace xcodec::models::kernels
