#pragma once
/// Reduced-precision matrix products for inference. `lower_compute_precision` gives the big
/// convolutions and linear layers of a module tree a copy of their weight and bias in a 16-bit
/// type (non-persistent buffers `_lp_weight` / `_lp_bias`; parameters are not touched, so
/// saving, loading and training see float32). Those layers then round their input to that type,
/// run the product with float32 accumulation (oneDNN on CPUs with AVX512-BF16/AMX, tensor cores
/// on CUDA) and return float32; norms, activations, softmax and residual sums stay float32.
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/types.h>

#include <string>

namespace xcodec::models {

enum class ComputePrecision {
  kFloat32,   ///< everything float32: bit-for-bit the parity-tested path (default)
  kBFloat16,  ///< conv/linear weights and inputs in bfloat16, float32 accumulation and output
};

/// "fp32" / "float32" / "bf16" / "bfloat16"; throws ConfigError naming `what` otherwise.
ComputePrecision parse_compute_precision(const std::string& name,
                                         const std::string& what = "precision");
std::string to_string(ComputePrecision precision);

/// Adds (or refreshes) the 16-bit weight copies on every torch::nn::Linear, torch::nn::Conv1d
/// and WNConv1d under `root` that is worth it (dense, more than one input channel); with
/// kFloat32 it drops them again. WNConv1d copies its folded weight: fold first. kBFloat16 for a
/// module on a CPU without native bf16 (cpu_bf16_support()) throws ConfigError with the reason:
/// emulated bf16 is 20-70x slower than fp32 there.
void lower_compute_precision(torch::nn::Module& root, ComputePrecision precision);

/// The 16-bit copy registered on `module`, or an undefined tensor.
torch::Tensor lowered_weight(const torch::nn::Module& module);
torch::Tensor lowered_bias(const torch::nn::Module& module);

/// `module->forward(x)`, through the 16-bit copy when there is one, else fast_linear()
/// (onednn_linear.h).
torch::Tensor linear_forward(torch::nn::LinearImpl& module, const torch::Tensor& x);
torch::Tensor conv1d_forward(torch::nn::Conv1dImpl& module, const torch::Tensor& x);

/// conv1d with `weight`/`bias` in x's type, or in the lowered type of `module` when it has one.
torch::Tensor conv1d_maybe_lowered(const torch::nn::Module& module, const torch::Tensor& x,
                                   const torch::Tensor& weight, const torch::Tensor& bias,
                                   int64_t stride, int64_t padding, int64_t dilation,
                                   int64_t groups = 1);

}  // namespace xcodec::models
