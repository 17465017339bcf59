// libFuzzer harness: the YAML config composer (src/train/config/compose.cpp) and the strict
// struct readers behind it (training_config.cpp, src/io/yaml_fields.cpp), as `xcodec train
// key=value ...` runs them: load_training_config(overrides, dir) = compose → from_yaml →
// validate. The input is split at NUL bytes: the first part is the primary config.yaml, each
// further part (at most 8) one command-line override. The config groups (dataset/, model/,
// discriminator/, train/, preset/) are copies of the shipped configs/.
//
// A config that loads must also survive the resolved-config round trip that a run saves in its
// log folder: resolved_config_yaml → YAML::Load → from_yaml gives an equal config (checked for
// UTF-8 input only, see below).
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "fuzz_util.h"
#include "xcodec/io/yaml_fields.h"
#include "xcodec/train/config/training_config.h"

#ifndef XCODEC_FUZZ_CONFIG_DIR
#error "XCODEC_FUZZ_CONFIG_DIR must name the shipped configs/ folder"
#endif

namespace {

namespace fs = std::filesystem;
using xcodec::fuzz::die;

const std::string& config_dir() {
  static xcodec::fuzz::TempDir dir("compose");
  return dir.path();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  for (const char* group : {"dataset", "model", "discriminator", "train", "preset"}) {
    fs::copy(fs::path(XCODEC_FUZZ_CONFIG_DIR) / group, fs::path(config_dir()) / group,
             fs::copy_options::recursive);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> parts = xcodec::fuzz::split_at_nul(data, size, 9);
  {
    std::ofstream out(fs::path(config_dir()) / "config.yaml", std::ios::binary | std::ios::trunc);
    out << parts[0];
  }
  const std::vector<std::string> overrides(parts.begin() + 1, parts.end());
  xcodec::fuzz::run_reader([&] {
    using xcodec::train::TrainingConfig;
    const TrainingConfig config = xcodec::train::load_training_config(overrides, config_dir());
    // yaml-cpp writes a quoted string's invalid UTF-8 bytes as U+FFFD, so only text input (as
    // YAML requires) is expected to read back the same.
    if (!std::all_of(parts.begin(), parts.end(), xcodec::fuzz::is_utf8)) return;
    const std::string resolved = xcodec::train::resolved_config_yaml(config, "fuzz");
    TrainingConfig again;
    try {
      again = TrainingConfig::from_yaml(YAML::Load(resolved));
      again.validate();
    } catch (const std::exception& e) {
      die("the resolved config does not load again", e.what() + std::string("\n") + resolved);
    }
    if (!(again == config)) {
      std::string parts;  // which groups differ, when the two texts look alike
      if (!(again.dataset == config.dataset)) parts += " dataset";
      if (!xcodec::io::yaml_equal(again.model, config.model)) parts += " model";
      if (!(again.discriminator == config.discriminator)) parts += " discriminator";
      if (!(again.train == config.train)) parts += " train";
      die("round trip", "the resolved config loads differently (" + parts + " ):\n" + resolved +
                            "\nreloaded:\n" + xcodec::train::resolved_config_yaml(again, "fuzz"));
    }
  });
  return 0;
}
