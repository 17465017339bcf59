#include "xcodec/core/allocator.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace xcodec {

bool tune_allocator_for_inference() {
#if defined(__GLIBC__)
  bool ok = mallopt(M_MMAP_MAX, 0) == 1;
  // Largest value mallopt accepts on every glibc (int); 2 GiB of free heap is kept.
  ok = mallopt(M_TRIM_THRESHOLD, 0x7fffffff) == 1 && ok;
  ok = mallopt(M_TOP_PAD, 64 << 20) == 1 && ok;
  return ok;
#else
  return false;
#endif
}

}  // namespace xcodec
