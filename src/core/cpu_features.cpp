#include "xcodec/core/cpu_features.h"

#ifdef __linux__
#include <sched.h>
#endif

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define XCODEC_X86 1
#endif

namespace xcodec {

namespace {

#if defined(XCODEC_X86)
struct Regs {
  unsigned a = 0, b = 0, c = 0, d = 0;
};

Regs cpuid(unsigned leaf, unsigned subleaf = 0) {
  Regs r;
  if (!__get_cpuid_count(leaf, subleaf, &r.a, &r.b, &r.c, &r.d)) return Regs{};
  return r;
}

uint64_t xgetbv0() {
  uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

bool bit(unsigned reg, int n) { return ((reg >> n) & 1u) != 0; }

std::string brand_string() {
  if (cpuid(0x80000000).a < 0x80000004) return "unknown x86-64 CPU";
  char text[49] = {};
  for (unsigned i = 0; i < 3; ++i) {
    const Regs r = cpuid(0x80000002 + i);
    std::memcpy(text + 16 * i, &r.a, 4);
    std::memcpy(text + 16 * i + 4, &r.b, 4);
    std::memcpy(text + 16 * i + 8, &r.c, 4);
    std::memcpy(text + 16 * i + 12, &r.d, 4);
  }
  std::string s(text);
  const auto first = s.find_first_not_of(' ');
  const auto last = s.find_last_not_of(' ');
  return first == std::string::npos ? "unknown x86-64 CPU" : s.substr(first, last - first + 1);
}

CpuFeatures detect() {
  CpuFeatures f;
  f.model_name = brand_string();
  const Regs l1 = cpuid(1);
  const bool osxsave = bit(l1.c, 27);
  if (!osxsave) return f;
  const uint64_t xcr0 = xgetbv0();
  const bool ymm_state = (xcr0 & 0x6) == 0x6;           // SSE + AVX registers
  const bool zmm_state = (xcr0 & 0xe6) == 0xe6;         // + opmask, ZMM_Hi256, Hi16_ZMM
  const bool tile_state = (xcr0 & 0x60000) == 0x60000;  // XTILECFG + XTILEDATA
  const Regs l7 = cpuid(7, 0);
  const Regs l7s1 = cpuid(7, 1);
  f.avx2 = ymm_state && bit(l1.c, 28) && bit(l1.c, 12) && bit(l7.b, 5);  // AVX, FMA, AVX2
  f.avx512 = f.avx2 && zmm_state && bit(l7.b, 16) && bit(l7.b, 17) && bit(l7.b, 30) &&
             bit(l7.b, 31);  // F, DQ, BW, VL
  f.avx512_bf16 = f.avx512 && bit(l7s1.a, 5);
  // AMX needs the OS to grant tile data (Linux: arch_prctl); XCR0 tells whether it may.
  f.amx_bf16 = f.avx512 && tile_state && bit(l7.d, 22) && bit(l7.d, 24);
  return f;
}
#else
CpuFeatures detect() {
  CpuFeatures f;
  f.model_name = "non-x86 CPU";
  return f;
}
#endif

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

Bf16Support bf16_support(const CpuFeatures& cpu, const std::string& onednn_max_isa,
                         const std::string& aten_capability) {
  Bf16Support s;
  if (!cpu.avx512_bf16 && !cpu.amx_bf16) {
    s.reason = "no AVX512-BF16 or AMX-BF16 on " + cpu.model_name + " (bf16 would be emulated)";
    return s;
  }
  const std::string isa = upper(onednn_max_isa);
  // oneDNN's ISA names in increasing order; bf16 instructions start at AVX512_CORE_BF16.
  const bool isa_capped = !isa.empty() && isa != "ALL" && isa.rfind("AVX512_CORE_BF16", 0) != 0 &&
                          isa.rfind("AVX512_CORE_FP16", 0) != 0 &&
                          isa.rfind("AVX512_CORE_AMX", 0) != 0 && isa.rfind("AVX10", 0) != 0;
  if (isa_capped) {
    s.reason = "ONEDNN_MAX_CPU_ISA=" + onednn_max_isa + " keeps oneDNN below AVX512_CORE_BF16";
    return s;
  }
  const std::string aten = upper(aten_capability);
  if (aten == "DEFAULT" || aten == "AVX2") {
    s.reason = "ATEN_CPU_CAPABILITY=" + aten_capability + " keeps ATen below AVX-512";
    return s;
  }
  s.native = true;
  s.reason = std::string(cpu.amx_bf16 ? "AMX-BF16" : "AVX512-BF16") + " on " + cpu.model_name;
  return s;
}

const Bf16Support& cpu_bf16_support() {
  static const Bf16Support support = [] {
    std::string isa = env("ONEDNN_MAX_CPU_ISA");
    if (isa.empty()) isa = env("DNNL_MAX_CPU_ISA");
    return bf16_support(cpu_features(), isa, env("ATEN_CPU_CAPABILITY"));
  }();
  return support;
}

bool onednn_avx512(const CpuFeatures& cpu, const std::string& onednn_max_isa) {
  if (!cpu.avx512) return false;
  const std::string isa = upper(onednn_max_isa);
  // Every oneDNN ISA name from AVX512_CORE up starts with AVX512 or AVX10.
  return isa.empty() || isa == "ALL" || isa.rfind("AVX512", 0) == 0 || isa.rfind("AVX10", 0) == 0;
}

bool cpu_onednn_avx512() {
  static const bool on = [] {
    std::string isa = env("ONEDNN_MAX_CPU_ISA");
    if (isa.empty()) isa = env("DNNL_MAX_CPU_ISA");
    return onednn_avx512(cpu_features(), isa);
  }();
  return on;
}

int usable_cpu_count() {
#ifdef __linux__
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
#endif
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

std::string cpu_summary() {
  const CpuFeatures& f = cpu_features();
  std::string flags;
  auto add = [&flags](bool on, const char* name) {
    if (!on) return;
    if (!flags.empty()) flags += ' ';
    flags += name;
  };
  add(f.avx2, "AVX2");
  add(f.avx512, "AVX-512");
  add(f.avx512_bf16, "AVX512-BF16");
  add(f.amx_bf16, "AMX-BF16");
  return f.model_name + " (" + (flags.empty() ? std::string("no AVX2") : flags) + ")";
}

}  // namespace xcodec
