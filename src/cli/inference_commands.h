#pragma once
/// Which command lines run a model (shared by the launcher and the program; plain C, no torch).
#include <cstring>

namespace xcodec::cli {

/// The subcommand is the first argument that is not the global --log-level option or its value.
inline bool is_inference_command(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (std::strcmp(a, "--log-level") == 0) {
      ++i;
      continue;
    }
    if (std::strncmp(a, "--log-level=", 12) == 0) continue;
    for (const char* name : {"encode", "decode", "reconstruct", "eval"}) {
      if (std::strcmp(a, name) == 0) return true;
    }
    return false;
  }
  return false;
}

}  // namespace xcodec::cli
