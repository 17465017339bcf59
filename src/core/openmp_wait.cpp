#include "xcodec/core/openmp_wait.h"

#include <cstdlib>

#if defined(__linux__)
#include <unistd.h>
#endif

namespace xcodec {

void reexec_with_passive_openmp_wait(char** argv) {
#if defined(__linux__)
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) {
    return;
  }
  if (setenv("OMP_WAIT_POLICY", "passive", /*overwrite=*/0) != 0) return;
  execv("/proc/self/exe", argv);
  unsetenv("OMP_WAIT_POLICY");  // exec failed: leave the environment as it was
#else
  (void)argv;
#endif
}

}  // namespace xcodec
