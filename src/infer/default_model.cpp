#include "xcodec/infer/default_model.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "xcodec/core/error.h"
#include "xcodec/xcodec.h"

namespace xcodec::infer {
namespace fs = std::filesystem;

std::vector<std::string> default_model_candidates(const std::string& executable,
                                                  const std::vector<std::string>& extra_dirs) {
  if (const char* env = std::getenv("XCODEC_MODEL"); env && *env) return {env};
  std::vector<std::string> out;
  std::error_code ec;
  fs::path exe = executable.empty() ? fs::read_symlink("/proc/self/exe", ec) : fs::path(executable);
  if (!ec && !exe.empty()) {
    const fs::path up = exe.parent_path().parent_path();
    out.push_back((up / "models" / kDefaultModelFile).lexically_normal().string());
    out.push_back(
        (up / "share" / "xcodec" / "models" / kDefaultModelFile).lexically_normal().string());
  }
  for (const auto& dir : extra_dirs) {
    if (dir.empty()) continue;
    const std::string p = (fs::path(dir) / kDefaultModelFile).lexically_normal().string();
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  return out;
}

std::string find_default_model(const std::string& executable,
                               const std::vector<std::string>& extra_dirs) {
  const auto candidates = default_model_candidates(executable, extra_dirs);
  std::string tried;
  for (const auto& c : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(c, ec)) return c;
    tried += (tried.empty() ? "" : ", ") + c;
  }
  const char* env = std::getenv("XCODEC_MODEL");
  throw IoError(std::string("no model given and the default model was not found (") +
                (env && *env ? "XCODEC_MODEL=" : "tried ") + tried +
                "); make it with `bash scripts/train-default-model.sh` (about an hour on a CPU), "
                "set XCODEC_MODEL, or pass -m model.safetensors");
}

std::string model_or_default(const std::string& given, const std::string& executable,
                             const std::vector<std::string>& extra_dirs) {
  return given.empty() ? find_default_model(executable, extra_dirs) : given;
}

std::string describe_model(const Codec& codec, const std::string& path) {
  const double bps = codec.frame_rate() * static_cast<double>(codec.num_quantizers()) *
                     std::log2(static_cast<double>(codec.codebook_size()));
  std::ostringstream s;
  s << path << " (" << codec.model_name() << ", " << codec.quantizer_kind() << ", "
    << codec.num_quantizers() << " x " << codec.codebook_size() << " codes at "
    << codec.frame_rate() << " Hz, " << std::llround(bps) << " bit/s, " << codec.sample_rate()
    << " Hz audio)";
  return s.str();
}

}  // namespace xcodec::infer
