// Which compute precision runs for "fp32" / "bf16" / "auto" (layers/precision_choice.h).
#include "xcodec/models/layers/precision_choice.h"

#include <gtest/gtest.h>

#include "xcodec/core/cpu_features.h"
#include "xcodec/core/error.h"

namespace xm = xcodec::models;

namespace {
// A probe that reports fixed timings and counts its calls.
struct FakeProbe {
  double fp32 = 1.0;
  double bf16 = 0.5;
  int calls = 0;
  xm::PrecisionProbe fn() {
    return [this](torch::ScalarType t) {
      ++calls;
      return t == torch::kBFloat16 ? bf16 : fp32;
    };
  }
};
const torch::Device kCpu(torch::kCPU);
}  // namespace

TEST(PrecisionChoice, Bf16OnACpuWithoutItFallsBackToFp32AndSaysWhy) {
  FakeProbe probe;
  const auto c = xm::choose_compute_precision("bf16", kCpu, /*native=*/false,
                                              "no AVX512-BF16 on Old CPU", probe.fn());
  EXPECT_EQ(c.precision, xm::ComputePrecision::kFloat32);
  EXPECT_TRUE(c.fell_back);
  EXPECT_NE(c.reason.find("running fp32"), std::string::npos) << c.reason;
  EXPECT_NE(c.reason.find("Old CPU"), std::string::npos) << c.reason;
  EXPECT_EQ(probe.calls, 0);
}

TEST(PrecisionChoice, Bf16WhereNativeRunsBf16WithoutProbing) {
  FakeProbe probe;
  probe.bf16 = 2.0;  // even a slow probe does not overrule an explicit request
  const auto c = xm::choose_compute_precision("bf16", kCpu, true, "AVX512-BF16", probe.fn());
  EXPECT_EQ(c.precision, xm::ComputePrecision::kBFloat16);
  EXPECT_FALSE(c.fell_back);
  EXPECT_EQ(probe.calls, 0);
}

TEST(PrecisionChoice, AutoTakesBf16OnlyWhereNativeAndMeasuredFaster) {
  FakeProbe fast;
  auto c = xm::choose_compute_precision("auto", kCpu, true, "AVX512-BF16", fast.fn());
  EXPECT_EQ(c.precision, xm::ComputePrecision::kBFloat16) << c.reason;
  EXPECT_EQ(fast.calls, 2);
  EXPECT_NE(c.reason.find("2.00x faster"), std::string::npos) << c.reason;

  FakeProbe slow;
  slow.bf16 = 0.95;  // native but not worth it
  c = xm::choose_compute_precision("auto", kCpu, true, "AVX512-BF16", slow.fn());
  EXPECT_EQ(c.precision, xm::ComputePrecision::kFloat32) << c.reason;
  EXPECT_FALSE(c.fell_back);

  FakeProbe unused;
  c = xm::choose_compute_precision("auto", kCpu, false, "no AVX512-BF16", unused.fn());
  EXPECT_EQ(c.precision, xm::ComputePrecision::kFloat32);
  EXPECT_FALSE(c.fell_back);  // auto never promised bf16
  EXPECT_EQ(unused.calls, 0);
}

TEST(PrecisionChoice, Fp32IsFp32AndUnknownNamesAreRejected) {
  FakeProbe probe;
  EXPECT_EQ(xm::choose_compute_precision("fp32", kCpu, true, "", probe.fn()).precision,
            xm::ComputePrecision::kFloat32);
  EXPECT_EQ(probe.calls, 0);
  try {
    xm::choose_compute_precision("fp16", kCpu, true, "", probe.fn());
    FAIL() << "fp16 accepted";
  } catch (const xcodec::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("auto"), std::string::npos) << e.what();
  }
}

TEST(PrecisionChoice, TheRealProbeTimesBothTypes) {
  EXPECT_GT(xm::time_probe_convolution(kCpu, torch::kFloat32), 0.0);
}

// What this machine (and its environment) takes, asserted for the path it is on.
TEST(PrecisionChoice, ThisMachineTakesItsOwnPath) {
  const auto& cpu = xcodec::cpu_bf16_support();
  const auto c = xm::choose_compute_precision("bf16", kCpu);
  std::cout << "bf16 on this machine: " << (cpu.native ? "native" : "emulated") << " ("
            << cpu.reason << ") -> " << c.reason << "\n";
  EXPECT_EQ(c.precision,
            cpu.native ? xm::ComputePrecision::kBFloat16 : xm::ComputePrecision::kFloat32);
  EXPECT_EQ(c.fell_back, !cpu.native);
}
