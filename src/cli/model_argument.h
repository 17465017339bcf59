#pragma once
// The `-m` argument shared by encode, decode, reconstruct and eval: the given path, or the
// shipped default model (xcodec/infer/default_model.h). The build tree's source models/ folder
// is one of the places searched (XCODEC_SOURCE_MODELS_DIR, set by CMake).
#include <string>

namespace xcodec::cli {

/// `given` when not empty; else the default model found by infer::find_default_model (throws
/// IoError saying how to get one).
std::string model_argument(const std::string& given);

}  // namespace xcodec::cli
