// CPU capability detection and the native-bf16 decision (core/cpu_features.h).
#include "xcodec/core/cpu_features.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace {

xcodec::CpuFeatures with_bf16() {
  xcodec::CpuFeatures f;
  f.model_name = "Test CPU";
  f.avx2 = f.avx512 = f.avx512_bf16 = true;
  return f;
}

// The flags the kernel reports for this CPU (empty off Linux).
std::string proc_cpuinfo_flags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) == 0) return line + " ";
  }
  return {};
}

}  // namespace

TEST(CpuFeatures, Bf16IsNativeOnlyWithTheInstructionsAndNoCapFromTheEnvironment) {
  const auto f = with_bf16();
  EXPECT_TRUE(xcodec::bf16_support(f, "", "").native);
  EXPECT_TRUE(xcodec::bf16_support(f, "ALL", "avx512").native);
  EXPECT_TRUE(xcodec::bf16_support(f, "avx512_core_amx", "").native);
  const auto capped = xcodec::bf16_support(f, "AVX2", "");
  EXPECT_FALSE(capped.native);
  EXPECT_NE(capped.reason.find("ONEDNN_MAX_CPU_ISA=AVX2"), std::string::npos) << capped.reason;
  EXPECT_FALSE(xcodec::bf16_support(f, "AVX512_CORE_VNNI", "").native);
  const auto aten = xcodec::bf16_support(f, "", "avx2");
  EXPECT_FALSE(aten.native);
  EXPECT_NE(aten.reason.find("ATEN_CPU_CAPABILITY"), std::string::npos) << aten.reason;

  xcodec::CpuFeatures avx2_only;
  avx2_only.model_name = "Old CPU";
  avx2_only.avx2 = true;
  const auto none = xcodec::bf16_support(avx2_only, "", "");
  EXPECT_FALSE(none.native);
  EXPECT_NE(none.reason.find("Old CPU"), std::string::npos) << none.reason;
  xcodec::CpuFeatures amx = avx2_only;
  amx.avx512 = amx.amx_bf16 = true;
  EXPECT_TRUE(xcodec::bf16_support(amx, "", "").native);
}

TEST(CpuFeatures, OneDnnRunsAvx512OnlyWithItAndNoCapFromTheEnvironment) {
  const auto f = with_bf16();
  EXPECT_TRUE(xcodec::onednn_avx512(f, ""));
  EXPECT_TRUE(xcodec::onednn_avx512(f, "ALL"));
  EXPECT_TRUE(xcodec::onednn_avx512(f, "avx512_core"));
  EXPECT_TRUE(xcodec::onednn_avx512(f, "AVX512_CORE_BF16"));
  EXPECT_FALSE(xcodec::onednn_avx512(f, "AVX2"));
  EXPECT_FALSE(xcodec::onednn_avx512(f, "avx2_vnni"));
  xcodec::CpuFeatures avx2_only;
  avx2_only.avx2 = true;
  EXPECT_FALSE(xcodec::onednn_avx512(avx2_only, ""));
}

// CPUID agrees with what the kernel tells about the same CPU.
TEST(CpuFeatures, DetectionAgreesWithProcCpuinfo) {
  const std::string flags = proc_cpuinfo_flags();
  if (flags.empty()) GTEST_SKIP() << "no /proc/cpuinfo flags line on this system";
  const auto& f = xcodec::cpu_features();
  std::cout << "CPU: " << xcodec::cpu_summary() << "\n";
  EXPECT_EQ(f.avx2, flags.find(" avx2 ") != std::string::npos);
  EXPECT_EQ(f.avx512_bf16, flags.find(" avx512_bf16 ") != std::string::npos);
  EXPECT_EQ(f.amx_bf16, flags.find(" amx_bf16 ") != std::string::npos);
  if (f.avx512) EXPECT_NE(flags.find(" avx512bw "), std::string::npos);
  EXPECT_FALSE(f.model_name.empty());
}

TEST(CpuFeatures, UsableCpuCountIsWithinTheMachine) {
  const int n = xcodec::usable_cpu_count();
  EXPECT_GE(n, 1);
  const unsigned machine = std::thread::hardware_concurrency();
  if (machine > 0) EXPECT_LE(n, static_cast<int>(machine));
}
