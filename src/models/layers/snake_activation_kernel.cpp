#include "xcodec/models/layers/snake_activation_kernel.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#ifdef _OPENMP
#include <omp.h>
#endif

// The hot loops are plain loops that GCC auto-vectorises. On x86-64 they are also built for
// AVX-512 and AVX2 (both with FMA) and picked at load time, so the binary stays portable.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define XCODEC_X86_DISPATCH 1
#endif
#if defined(__GNUC__)
#define XCODEC_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define XCODEC_ALWAYS_INLINE inline
#endif

namespace xcodec::models::kernels {

namespace {

// Work split of snake_anti_alias_rows: time pieces of at least kMinSpan samples, tasks of at
// least about kMinTaskSamples samples (smaller ones cost more in scheduling than they save).
constexpr int64_t kMinSpan = 2048;
constexpr int64_t kMinTaskSamples = 16384;

constexpr float kInvPi = 0.318309886183790671538f;
constexpr float kRoundMagic = 12582912.0f;  // 1.5·2^23: (v + m) - m rounds v to an integer
// Without FMA: pi = kPiHi + kPiLo in double with kPiHi on 35 bits (k·kPiHi exact, |k| < 2^18).
constexpr double kPiHi = 0x1.921fb5444p+1;
constexpr double kPiLo = 5.126688303189038e-12;
// With FMA: pi = kPiA + kPiB + kPiC in float (Cody–Waite, 3 parts).
constexpr float kPiA = 0x1.921fb6p+1f;
constexpr float kPiB = -0x1.777a5cp-24f;
constexpr float kPiC = -0x1.ee59dap-49f;
// Odd minimax polynomial for sin on [-pi/2, pi/2] (SLEEF sinf_u35 coefficients).
constexpr float kS3 = -0.166666597127914428710938f;
constexpr float kS5 = 0.00833307858556509017944336f;
constexpr float kS7 = -0.0001981069071916863322258f;
constexpr float kS9 = 2.6083159809786593541503e-06f;

XCODEC_ALWAYS_INLINE uint32_t float_bits(float x) {
  uint32_t b;
  std::memcpy(&b, &x, sizeof(b));
  return b;
}

XCODEC_ALWAYS_INLINE float bits_float(uint32_t b) {
  float x;
  std::memcpy(&x, &b, sizeof(x));
  return x;
}

// sin(x) up to its sign, for |x| <= kFastSinMax (beyond, a dummy value; callers fix those up).
// Cody–Waite reduction by pi, k = round(x/pi), r = x - k·pi, exact enough next to the zeros of
// sin too: with FMA in float (the first step is exact: |r| < 2 and k·kPiA has no bits below
// 2^-22), without in double. Then sin(x) = (-1)^k·sin(r) with an odd polynomial; `k` is
// returned for callers that need the sign. Branch-free so that GCC vectorises it.
template <bool kFma>
XCODEC_ALWAYS_INLINE float sin_unsigned_core(float x, float& k) {
  k = (x * kInvPi + kRoundMagic) - kRoundMagic;
  float r;
  if constexpr (kFma) {
    r = __builtin_fmaf(-k, kPiA, x);
    r = __builtin_fmaf(-k, kPiB, r);
    r = __builtin_fmaf(-k, kPiC, r);
  } else {
    const double kd = static_cast<double>(k);
    r = static_cast<float>((static_cast<double>(x) - kd * kPiHi) - kd * kPiLo);
  }
  const float r2 = r * r;
  float p = kS9;
  p = p * r2 + kS7;
  p = p * r2 + kS5;
  p = p * r2 + kS3;
  return r + r * (r2 * p);
}

// sin(x) for |x| <= kFastSinMax, a finite dummy beyond. Selections are bit masks: with
// trapping math GCC does not if-convert (and so does not vectorise) float ternaries.
template <bool kFma>
XCODEC_ALWAYS_INLINE float sin_core(float x) {
  // Out-of-range and NaN inputs become 0, which keeps the int conversion below defined.
  const uint32_t keep = 0u - static_cast<uint32_t>(std::fabs(x) <= kFastSinMax);
  float k;
  const float s = sin_unsigned_core<kFma>(bits_float(float_bits(x) & keep), k);
  const uint32_t odd = static_cast<uint32_t>(static_cast<int32_t>(k) & 1);
  return bits_float(float_bits(s) ^ (odd << 31));
}

XCODEC_ALWAYS_INLINE bool fast_sin_ok(float x) { return std::fabs(x) <= kFastSinMax; }

// out = v + inv_beta·sin²(scale·v), the operation order of snake_beta().
template <bool kFma>
XCODEC_ALWAYS_INLINE void snake(const float* v, int64_t n, float scale, float inv_beta,
                                float* out) {
  int bad = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float t = v[i] * scale;
    float k;  // the sign of sin is squared away, so neither k nor a range mask is needed here
    const float s = sin_unsigned_core<kFma>(t, k);
    out[i] = v[i] + (s * s) * inv_beta;
    bad += fast_sin_ok(t) ? 0 : 1;
  }
  if (bad == 0) return;
  for (int64_t i = 0; i < n; ++i) {
    const float t = v[i] * scale;
    if (fast_sin_ok(t)) continue;
    const float s = std::sin(t);
    out[i] = v[i] + (s * s) * inv_beta;
  }
}

// Output samples per block: the block's buffers stay in L1.
constexpr int64_t kBlock = 512;

template <bool kFma>
XCODEC_ALWAYS_INLINE void sin_approx_body(const float* x, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = sin_core<kFma>(x[i]);
  for (int64_t i = 0; i < n; ++i)
    if (!fast_sin_ok(x[i])) y[i] = std::sin(x[i]);
}

// bf16 values travel as their bit patterns (uint16_t), the upper half of a float.
XCODEC_ALWAYS_INLINE float load_value(float v) { return v; }
XCODEC_ALWAYS_INLINE float load_value(uint16_t v) {
  return bits_float(static_cast<uint32_t>(v) << 16);
}
XCODEC_ALWAYS_INLINE void store_value(float v, float& out) { out = v; }
// Round to nearest even, NaN to 0x7FC0: c10::BFloat16's conversion, branch-free.
XCODEC_ALWAYS_INLINE void store_value(float v, uint16_t& out) {
  const uint32_t u = float_bits(v);
  const uint32_t rounded = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
  const uint32_t nan = 0u - static_cast<uint32_t>((u & 0x7FFFFFFFu) > 0x7F800000u);
  out = static_cast<uint16_t>((rounded & ~nan) | (0x7FC0u & nan));
}

template <bool kFma, typename In, typename Out>
XCODEC_ALWAYS_INLINE void row_body(const In* x, int64_t len, int64_t i0, int64_t n, float scale,
                                   float inv_beta, const SnakeAntiAliasTaps& taps, Out* y) {
  float xb[kBlock + 12];  // input positions [p0-6, p0+m+6), replicate-padded
  float e[kBlock + 6];    // even/odd upsampled phases at positions [p0-3, p0+m+3)
  float o[kBlock + 6];
  float se[kBlock + 6];  // the same after the snake, edge-padded
  float so[kBlock + 6];
  const float u0 = taps.up_even[0], u1 = taps.up_even[1], u2 = taps.up_even[2],
              u3 = taps.up_even[3], u4 = taps.up_even[4], u5 = taps.up_even[5];
  const float v0 = taps.up_odd[0], v1 = taps.up_odd[1], v2 = taps.up_odd[2], v3 = taps.up_odd[3],
              v4 = taps.up_odd[4], v5 = taps.up_odd[5];
  const float a0 = taps.down_even[0], a1 = taps.down_even[1], a2 = taps.down_even[2],
              a3 = taps.down_even[3], a4 = taps.down_even[4], a5 = taps.down_even[5];
  const float b0 = taps.down_odd[0], b1 = taps.down_odd[1], b2 = taps.down_odd[2],
              b3 = taps.down_odd[3], b4 = taps.down_odd[4], b5 = taps.down_odd[5];
  for (int64_t k0 = 0; k0 < n; k0 += kBlock) {
    const int64_t m = std::min(kBlock, n - k0);
    const int64_t p0 = i0 + k0;
    // Replicate padding: x[0] left of the row, x[len-1] right of it.
    const int64_t q0 = p0 - 6;
    const int64_t nx = m + 12;
    int64_t k = 0;
    for (; k < nx && q0 + k < 0; ++k) xb[k] = load_value(x[0]);
    const int64_t inside = std::min(q0 + nx, len) - q0;
    if constexpr (std::is_same_v<In, float>) {
      if (k < inside) {
        std::memcpy(xb + k, x + q0 + k, static_cast<size_t>(inside - k) * sizeof(float));
        k = inside;
      }
    } else {
      for (; k < inside; ++k) xb[k] = load_value(x[q0 + k]);
    }
    for (; k < nx; ++k) xb[k] = load_value(x[len - 1]);
    // Upsampled phases: E at position p uses xq[p..p+5] = xb[j..j+5], O uses xb[j+1..j+6].
    const int64_t np = m + 6;
    for (int64_t j = 0; j < np; ++j) {
      e[j] = u0 * xb[j] + u1 * xb[j + 1] + u2 * xb[j + 2] + u3 * xb[j + 3] + u4 * xb[j + 4] +
             u5 * xb[j + 5];
      o[j] = v0 * xb[j + 1] + v1 * xb[j + 2] + v2 * xb[j + 3] + v3 * xb[j + 4] + v4 * xb[j + 5] +
             v5 * xb[j + 6];
    }
    snake<kFma>(e, np, scale, inv_beta, se);
    snake<kFma>(o, np, scale, inv_beta, so);
    // Downsampler edge padding: s[0] = E[0] before position 0, s[2L-1] = O[L-1] from L on.
    const int64_t j_zero = 3 - p0;  // index of position 0
    if (j_zero > 0) {
      const float first = se[j_zero];
      for (int64_t j = 0; j < j_zero; ++j) se[j] = so[j] = first;
    }
    const int64_t j_len = len + 3 - p0;  // index of position L
    if (j_len < np) {
      const float last = so[j_len - 1];
      for (int64_t j = j_len; j < np; ++j) se[j] = so[j] = last;
    }
    // down[i] = Σ_{t=1..6} f[2t-1]·Ep[i+t] + Σ_{t=0..5} f[2t]·Op[i+t].
    Out* out = y + k0;
    for (int64_t j = 0; j < m; ++j) {
      store_value(a0 * se[j + 1] + a1 * se[j + 2] + a2 * se[j + 3] + a3 * se[j + 4] +
                      a4 * se[j + 5] + a5 * se[j + 6] + b0 * so[j] + b1 * so[j + 1] +
                      b2 * so[j + 2] + b3 * so[j + 3] + b4 * so[j + 4] + b5 * so[j + 5],
                  out[j]);
    }
  }
}

using SinFn = void (*)(const float*, int64_t, float*);
template <typename In, typename Out>
using RowFn = void (*)(const In*, int64_t, int64_t, int64_t, float, float,
                       const SnakeAntiAliasTaps&, Out*);
using Bf16 = uint16_t;

// One row function per input/output type pair (float32 or bf16 bits).
struct RowKernels {
  RowFn<float, float> ff;
  RowFn<float, Bf16> fb;
  RowFn<Bf16, float> bf;
  RowFn<Bf16, Bf16> bb;
};

#define XCODEC_ROW_VARIANT(attr, name, fma, In, Out)                                           \
  attr void name(const In* x, int64_t len, int64_t i0, int64_t n, float scale, float inv_beta, \
                 const SnakeAntiAliasTaps& taps, Out* y) {                                     \
    row_body<fma>(x, len, i0, n, scale, inv_beta, taps, y);                                    \
  }
#define XCODEC_ROW_VARIANTS(attr, suffix, fma)                                                \
  XCODEC_ROW_VARIANT(attr, row_##suffix##_ff, fma, float, float)                              \
  XCODEC_ROW_VARIANT(attr, row_##suffix##_fb, fma, float, Bf16)                               \
  XCODEC_ROW_VARIANT(attr, row_##suffix##_bf, fma, Bf16, float)                               \
  XCODEC_ROW_VARIANT(attr, row_##suffix##_bb, fma, Bf16, Bf16)                                \
  constexpr RowKernels rows_##suffix{row_##suffix##_ff, row_##suffix##_fb, row_##suffix##_bf, \
                                     row_##suffix##_bb};

void sin_generic(const float* x, int64_t n, float* y) { sin_approx_body<false>(x, n, y); }
XCODEC_ROW_VARIANTS(, generic, false)

#ifdef XCODEC_X86_DISPATCH
#define XCODEC_FMA_VARIANT(suffix, isa)                                                 \
  __attribute__((target(isa))) void sin_##suffix(const float* x, int64_t n, float* y) { \
    sin_approx_body<true>(x, n, y);                                                     \
  }                                                                                     \
  XCODEC_ROW_VARIANTS(__attribute__((target(isa))), suffix, true)
XCODEC_FMA_VARIANT(avx512, "avx512f,avx2,fma")
XCODEC_FMA_VARIANT(avx2, "avx2,fma")
#undef XCODEC_FMA_VARIANT

struct Kernels {
  SinFn sin;
  RowKernels rows;
};

Kernels pick_kernels() {
  __builtin_cpu_init();
  const bool fma = __builtin_cpu_supports("fma");
  if (fma && __builtin_cpu_supports("avx512f")) return {sin_avx512, rows_avx512};
  if (fma && __builtin_cpu_supports("avx2")) return {sin_avx2, rows_avx2};
  return {sin_generic, rows_generic};
}

const Kernels& kernels() {
  static const Kernels k = pick_kernels();
  return k;
}

const RowKernels& row_kernels() { return kernels().rows; }
#else
const RowKernels& row_kernels() { return rows_generic; }
#endif
#undef XCODEC_ROW_VARIANTS
#undef XCODEC_ROW_VARIANT

// Rows are independent; long rows are also cut in time when there are fewer rows than
// threads. The row kernel's result does not depend on the cut.
template <typename In, typename Out>
void rows_impl(RowFn<In, Out> row_fn, const In* x, int64_t rows, int64_t len, int64_t channels,
               const float* scale, const float* inv_beta, const SnakeAntiAliasTaps& taps,
               int threads, Out* y) {
  if (rows <= 0 || len <= 0) return;
  threads = std::max(1, threads);
  const int64_t pieces = std::max<int64_t>(
      1, std::min((len + kMinSpan - 1) / kMinSpan, (4 * threads + rows - 1) / rows));
  const int64_t span = (len + pieces - 1) / pieces;
  const int64_t items = rows * pieces;
  const int64_t useful = std::max<int64_t>(1, rows * len / kMinTaskSamples);
  const int team = static_cast<int>(std::min<int64_t>({threads, items, useful}));
  const auto run = [&](int64_t item) {
    const int64_t row = item / pieces;
    const int64_t i0 = (item % pieces) * span;
    const int64_t n = std::min(len, i0 + span) - i0;
    if (n <= 0) return;
    const int64_t ch = row % channels;
    row_fn(x + row * len, len, i0, n, scale[ch], inv_beta[ch], taps, y + row * len + i0);
  };
#ifdef _OPENMP
  if (team > 1) {
#pragma omp parallel for num_threads(team) schedule(static)
    for (int64_t item = 0; item < items; ++item) run(item);
    return;
  }
#endif
  for (int64_t item = 0; item < items; ++item) run(item);
}

}  // namespace

void sin_approx(const float* x, int64_t n, float* y) {
#ifdef XCODEC_X86_DISPATCH
  kernels().sin(x, n, y);
#else
  sin_generic(x, n, y);
#endif
}

void sin_approx_portable(const float* x, int64_t n, float* y) { sin_generic(x, n, y); }

void snake_anti_alias_row_portable(const float* x, int64_t len, int64_t i0, int64_t n, float scale,
                                   float inv_beta, const SnakeAntiAliasTaps& taps, float* y) {
  rows_generic.ff(x, len, i0, n, scale, inv_beta, taps, y);
}

void snake_anti_alias_row(const float* x, int64_t len, int64_t i0, int64_t n, float scale,
                          float inv_beta, const SnakeAntiAliasTaps& taps, float* y) {
  row_kernels().ff(x, len, i0, n, scale, inv_beta, taps, y);
}

bool snake_anti_alias_parallel() {
#ifdef _OPENMP
  return true;
#else
  return false;
#endif
}

void snake_anti_alias_rows(const void* x, RowType x_type, int64_t rows, int64_t len,
                           int64_t channels, const float* scale, const float* inv_beta,
                           const SnakeAntiAliasTaps& taps, int threads, void* y, RowType y_type) {
  const RowKernels& k = row_kernels();
  const bool in_bf16 = x_type == RowType::kBFloat16;
  const bool out_bf16 = y_type == RowType::kBFloat16;
  const auto* xf = static_cast<const float*>(x);
  const auto* xb = static_cast<const Bf16*>(x);
  auto* yf = static_cast<float*>(y);
  auto* yb = static_cast<Bf16*>(y);
  if (!in_bf16 && !out_bf16) {
    rows_impl(k.ff, xf, rows, len, channels, scale, inv_beta, taps, threads, yf);
  } else if (!in_bf16) {
    rows_impl(k.fb, xf, rows, len, channels, scale, inv_beta, taps, threads, yb);
  } else if (!out_bf16) {
    rows_impl(k.bf, xb, rows, len, channels, scale, inv_beta, taps, threads, yf);
  } else {
    rows_impl(k.bb, xb, rows, len, channels, scale, inv_beta, taps, threads, yb);
  }
}

}  // namespace xcodec::models::kernels
