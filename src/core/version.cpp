#include "xcodec/core/version.h"

#include <torch/version.h>

namespace xcodec {
std::string version() { return XCODEC_VERSION_STRING; }
std::string torch_version() { return TORCH_VERSION; }
}  // namespace xcodec
