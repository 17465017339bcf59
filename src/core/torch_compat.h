#pragma once
// The one place where differences between LibTorch 1.13 (Debian, CI) and 2.x (CUDA users) live.
#include <torch/version.h>

#define XCODEC_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) ||         \
   (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))
