#pragma once
/// What this CPU can do, read once with CPUID (and XGETBV for the register state the OS
/// enables). Paths that are only fast on some CPUs (bfloat16 products) are chosen from this,
/// never assumed. No LibTorch here.
#include <string>

namespace xcodec {

struct CpuFeatures {
  std::string model_name;    ///< CPUID brand string, e.g. "AMD EPYC 9R14 96-Core Processor"
  bool avx2 = false;         ///< AVX2 and FMA, with the OS saving YMM state
  bool avx512 = false;       ///< AVX-512 F/BW/VL/DQ, with the OS saving ZMM state
  bool avx512_bf16 = false;  ///< AVX512-BF16 (vdpbf16ps): bf16 dot products in hardware
  bool amx_bf16 = false;     ///< AMX-BF16 with tile state enabled by the OS
};

/// This CPU (cached after the first call).
const CpuFeatures& cpu_features();

/// Whether bfloat16 matrix products run in hardware here, and why (for messages).
struct Bf16Support {
  bool native = false;
  std::string reason;  ///< e.g. "AVX512-BF16 on AMD EPYC ..." or "no AVX512-BF16/AMX on ..."
};

/// Native bf16 needs AVX512-BF16 or AMX-BF16, and no cap below them from the environment:
/// `onednn_max_isa` is ONEDNN_MAX_CPU_ISA (or DNNL_MAX_CPU_ISA), `aten_capability` is
/// ATEN_CPU_CAPABILITY ("avx2" or "default" keep ATen's kernels off AVX-512). Empty = unset.
Bf16Support bf16_support(const CpuFeatures& cpu, const std::string& onednn_max_isa,
                         const std::string& aten_capability);

/// bf16_support() for this CPU and this process's environment (cached).
const Bf16Support& cpu_bf16_support();

/// Whether oneDNN runs its AVX-512 kernels here: AVX-512 on the CPU and no ONEDNN_MAX_CPU_ISA
/// (or DNNL_MAX_CPU_ISA) cap below AVX512_CORE. `onednn_max_isa` empty = unset.
bool onednn_avx512(const CpuFeatures& cpu, const std::string& onednn_max_isa);

/// onednn_avx512() for this CPU and this process's environment (cached).
bool cpu_onednn_avx512();

/// The CPUs this process may run on (its affinity mask; taskset and cgroup cpusets shrink it),
/// at least 1.
int usable_cpu_count();

/// One line naming the CPU and the flags that matter for speed:
/// "AMD EPYC ... (AVX2 AVX-512 AVX512-BF16)".
std::string cpu_summary();

}  // namespace xcodec
