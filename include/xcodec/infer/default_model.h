#pragma once
/// The shipped default model: `xcodec encode|decode|reconstruct|eval` without `-m` use
/// models/dwan-cpu.safetensors (DwanCodec architecture at 16 kHz, 800 bit/s; made by
/// scripts/train-default-model.sh, described in models/README.md).
#include <string>
#include <vector>

namespace xcodec {
class Codec;
}

namespace xcodec::infer {

/// File name of the default model.
inline constexpr const char* kDefaultModelFile = "dwan-cpu.safetensors";

/// Where the default model is looked for, in order: $XCODEC_MODEL (a file path; when set it is
/// the only candidate), <dir of `executable`>/../models/, <dir of `executable`>/../share/xcodec/
/// models/ (installed layout), then `extra_dirs` (the CLI passes the source tree's models/).
/// `executable` "" means this process (/proc/self/exe).
std::vector<std::string> default_model_candidates(const std::string& executable = "",
                                                  const std::vector<std::string>& extra_dirs = {});

/// The first candidate that exists. Throws IoError listing the places tried and how to get the
/// model (`bash scripts/train-default-model.sh`, or pass -m).
std::string find_default_model(const std::string& executable = "",
                               const std::vector<std::string>& extra_dirs = {});

/// `given` when not empty, else find_default_model(...).
std::string model_or_default(const std::string& given, const std::string& executable = "",
                             const std::vector<std::string>& extra_dirs = {});

/// One line naming a loaded model: "PATH (xcodec2, fsq, 1 x 65536 codes at 50 Hz, 800 bit/s,
/// 16000 Hz)".
std::string describe_model(const Codec& codec, const std::string& path);

}  // namespace xcodec::infer
