#pragma once
/// OpenMP wait policy for inference programs.
///
/// Debian's LibTorch runs float32 matrix products on OpenBLAS's own threads while its OpenMP
/// workers spin-wait for the next parallel region: on a small machine they take the cores from
/// each other (full-config decode RTF 0.23 → 0.14 on two cores with a passive wait). libgomp
/// reads the policy once, when it is loaded, so it cannot be changed from inside a running
/// program; `reexec_with_passive_openmp_wait` restarts the program with OMP_WAIT_POLICY=passive.
/// The `xcodec` launcher (src/cli/launcher/) sets the policy before LibTorch loads, so for the
/// command line this restart only happens when `xcodec-main` is started directly.

namespace xcodec {

/// Unless OMP_WAIT_POLICY or GOMP_SPINCOUNT is already set (the user's choice wins), sets
/// OMP_WAIT_POLICY=passive and re-executes the running program (Linux: /proc/self/exe) with
/// the same arguments. Call it first thing in main(). Returns only when nothing was done or the
/// re-exec failed (the program then simply carries on with the default policy).
void reexec_with_passive_openmp_wait(char** argv);

}  // namespace xcodec
