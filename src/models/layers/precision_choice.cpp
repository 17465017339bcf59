#include "xcodec/models/layers/precision_choice.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>

#include "xcodec/core/cpu_features.h"
#include "xcodec/core/error.h"

namespace xcodec::models {

namespace {
// "auto" takes bf16 only when the probe runs at least this much faster: the rest of the model
// (norms, activations, the casts) does not gain, so a marginal win in the probe is none overall.
constexpr double kAutoMinSpeedup = 1.25;

std::string ratio_text(double ratio) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2fx", ratio);
  return text;
}
}  // namespace

PrecisionChoice choose_compute_precision(const std::string& requested, const torch::Device& device,
                                         bool cpu_native_bf16, const std::string& cpu_reason,
                                         const PrecisionProbe& probe) {
  PrecisionChoice c;
  const bool want_auto = requested == "auto";
  if (!want_auto) {
    ComputePrecision asked = ComputePrecision::kFloat32;
    try {
      asked = parse_compute_precision(requested);
    } catch (const ConfigError&) {
      throw ConfigError("precision: '" + requested + "' is not one of fp32, bf16, auto");
    }
    if (asked == ComputePrecision::kFloat32) {
      c.reason = "precision fp32";
      return c;
    }
  }
  const bool native = device.is_cuda() || cpu_native_bf16;
  const std::string hardware = device.is_cuda() ? "CUDA device" : cpu_reason;
  if (!native) {
    c.fell_back = !want_auto;
    c.reason = std::string(want_auto ? "precision auto: fp32"
                                     : "precision bf16 requested, "
                                       "running fp32 instead") +
               ": " + hardware;
    return c;
  }
  if (!want_auto) {
    c.precision = ComputePrecision::kBFloat16;
    c.reason = "precision bf16 (" + hardware + ")";
    return c;
  }
  const double fp32 = probe(torch::kFloat32);
  const double bf16 = probe(torch::kBFloat16);
  const double speedup = fp32 / std::max(bf16, std::numeric_limits<double>::min());
  if (speedup >= kAutoMinSpeedup) {
    c.precision = ComputePrecision::kBFloat16;
    c.reason = "precision auto: bf16 (" + hardware + "; probe convolution " + ratio_text(speedup) +
               " faster than fp32)";
  } else {
    c.reason = "precision auto: fp32 (" + hardware + ", but bf16 measured only " +
               ratio_text(speedup) + " the speed of fp32)";
  }
  return c;
}

PrecisionChoice choose_compute_precision(const std::string& requested,
                                         const torch::Device& device) {
  const Bf16Support& cpu = cpu_bf16_support();
  return choose_compute_precision(
      requested, device, cpu.native, cpu.reason,
      [&device](torch::ScalarType dtype) { return time_probe_convolution(device, dtype); });
}

double time_probe_convolution(const torch::Device& device, torch::ScalarType dtype) {
  torch::NoGradGuard no_grad;
  const auto options = torch::TensorOptions().device(device).dtype(dtype);
  const torch::Tensor x = torch::randn({1, 256, 2000}, options);
  const torch::Tensor w = torch::randn({256, 256, 7}, options) * 0.05;
  double best = std::numeric_limits<double>::infinity();
  for (int run = 0; run < 4; ++run) {  // the first run warms up oneDNN's kernel cache
    const auto start = std::chrono::steady_clock::now();
    const torch::Tensor y = torch::conv1d(x, w, {}, 1, 3);
    (void)y.sum().item<double>();  // waits for the device
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    if (run > 0) best = std::min(best, took.count());
  }
  return best;
}

}  // namespace xcodec::models
