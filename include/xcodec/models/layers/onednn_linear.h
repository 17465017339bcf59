#pragma once
/// Float32 linear layers for inference through oneDNN's inner product instead of BLAS. On a CPU
/// where oneDNN runs AVX-512 it is 1.5-1.8x faster than the OpenBLAS sgemm LibTorch calls for
/// torch::linear (Debian's OpenBLAS drives AMD Zen 4 with its 256-bit kernels); with AVX2 only
/// the two are within 10% and BLAS stays. Results agree with BLAS to float32 rounding (about
/// 1e-6 relative), not bit for bit.
#include <torch/types.h>

namespace xcodec::models {

/// Whether float32 products may take the oneDNN path (default: cpu_onednn_avx512()).
bool onednn_fp32_linear_enabled();
/// Overrides the default for this process (tests and benches compare both paths).
void set_onednn_fp32_linear(bool enabled);

/// Whether linear(x, weight) goes to oneDNN: enabled, float32 CPU tensors, no autograd
/// recording, and a product big enough to repay the layout conversions.
bool takes_onednn_linear(const torch::Tensor& x, const torch::Tensor& weight);

/// torch::linear(x, weight, bias), through oneDNN when takes_onednn_linear(); x: [..., in].
torch::Tensor fast_linear(const torch::Tensor& x, const torch::Tensor& weight,
                          const torch::Tensor& bias);

}  // namespace xcodec::models
