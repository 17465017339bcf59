#pragma once
/// Which compute precision a run really uses. A user asks for "fp32", "bf16" or "auto"; bf16 is
/// only worth it where the hardware computes it: on a CPU without AVX512-BF16/AMX, LibTorch
/// emulates bf16 20-70x slower than fp32 (and less exactly), so "bf16" falls back to fp32 there
/// with a warning, and "auto" picks bf16 only where it is native and a short probe measured it
/// faster than fp32 on the device.
#include <torch/types.h>

#include <functional>
#include <string>

#include "xcodec/models/layers/compute_precision.h"

namespace xcodec::models {

struct PrecisionChoice {
  ComputePrecision precision = ComputePrecision::kFloat32;
  bool fell_back = false;  ///< bf16 was asked for but fp32 runs (say so loudly)
  std::string reason;      ///< one line for the log: what was asked, what runs, why
};

/// Times (seconds) one representative convolution on a device in a dtype: the probe "auto" uses.
using PrecisionProbe = std::function<double(torch::ScalarType)>;

/// `requested` is "fp32"/"float32", "bf16"/"bfloat16" or "auto"; throws ConfigError otherwise.
/// `cpu_native_bf16` and `cpu_reason` describe the CPU (see xcodec/core/cpu_features.h); on CUDA
/// they are ignored. `probe` is called only for "auto" on hardware that may gain.
PrecisionChoice choose_compute_precision(const std::string& requested, const torch::Device& device,
                                         bool cpu_native_bf16, const std::string& cpu_reason,
                                         const PrecisionProbe& probe);

/// The same for this process's CPU (cpu_bf16_support()) and a real timing probe.
PrecisionChoice choose_compute_precision(const std::string& requested, const torch::Device& device);

/// Best of a few runs of a 256-channel, kernel-7 convolution over 2 000 steps (0.9 GFLOP) in
/// `dtype` on `device`, in seconds: what the encoder and decoder spend their time on.
double time_probe_convolution(const torch::Device& device, torch::ScalarType dtype);

}  // namespace xcodec::models
