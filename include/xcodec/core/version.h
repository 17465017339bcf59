#pragma once
#include <string>

namespace xcodec {
/// Library version, e.g. "0.1.0".
std::string version();
/// Version of the LibTorch the library was built against, e.g. "1.13.1".
std::string torch_version();
}  // namespace xcodec
