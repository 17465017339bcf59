// The default model: where it is looked for, the error without one, and (when the shipped
// models/dwan-cpu.safetensors is present) its metadata and `reconstruct` without -m.
#include "xcodec/infer/default_model.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/synthetic_speech.h"
#include "support/test_support.h"
#include "xcodec/audio/audio.h"
#include "xcodec/core/error.h"
#include "xcodec/io/safetensors.h"
#include "xcodec/xcodec.h"

namespace xcodec::infer {
namespace {

namespace fs = std::filesystem;
using xcodec::testing::TempDir;

// Sets (or, with nullptr, unsets) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (had_) {
      ::setenv(name_.c_str(), old_.c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }

 private:
  std::string name_, old_;
  bool had_ = false;
};

fs::path shipped_model() { return fs::path(XCODEC_SOURCE_DIR) / "models" / kDefaultModelFile; }

TEST(DefaultModel, LookupOrder) {
  ScopedEnv env("XCODEC_MODEL", nullptr);
  TempDir tmp;
  const fs::path exe = tmp.path() / "bin" / "xcodec";
  const auto c = default_model_candidates(exe.string(), {(tmp.path() / "src" / "models").string()});
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0], (tmp.path() / "models" / kDefaultModelFile).string());
  EXPECT_EQ(c[1], (tmp.path() / "share" / "xcodec" / "models" / kDefaultModelFile).string());
  EXPECT_EQ(c[2], (tmp.path() / "src" / "models" / kDefaultModelFile).string());

  // The first existing one wins: the installed layout before the source tree.
  for (const auto& p : {c[1], c[2]}) {
    fs::create_directories(fs::path(p).parent_path());
    std::ofstream(p) << "x";
  }
  EXPECT_EQ(find_default_model(exe.string(), {(tmp.path() / "src" / "models").string()}), c[1]);
  EXPECT_EQ(model_or_default("given.safetensors", exe.string()), "given.safetensors");
}

TEST(DefaultModel, EnvironmentVariableComesFirstAndIsTheOnlyCandidate) {
  TempDir tmp;
  const std::string path = (tmp.path() / "mine.safetensors").string();
  ScopedEnv env("XCODEC_MODEL", path.c_str());
  EXPECT_EQ(default_model_candidates("/x/bin/xcodec"), std::vector<std::string>{path});
  try {
    find_default_model("/x/bin/xcodec");
    FAIL() << "expected IoError for a missing $XCODEC_MODEL";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("XCODEC_MODEL=" + path), std::string::npos) << e.what();
  }
  std::ofstream(path) << "x";
  EXPECT_EQ(find_default_model("/x/bin/xcodec"), path);
}

TEST(DefaultModel, ErrorSaysHowToGetOne) {
  ScopedEnv env("XCODEC_MODEL", nullptr);
  TempDir tmp;
  try {
    find_default_model((tmp.path() / "bin" / "xcodec").string());
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("scripts/train-default-model.sh"), std::string::npos) << m;
    EXPECT_NE(m.find("-m"), std::string::npos) << m;
    EXPECT_NE(m.find((tmp.path() / "models").string()), std::string::npos) << m;
  }
}

TEST(E2EDefaultModel, CommandWithoutModelFailsClearlyWhenNoneIsFound) {
  TempDir tmp;
  xcodec::testing::write_synthetic_corpus(tmp.str(), 1, 0.5);
  std::string out;
  const std::string missing = (tmp.path() / "none.safetensors").string();
  EXPECT_NE(xcodec::testing::run_command(
                "XCODEC_MODEL=" + missing + " " + xcodec::testing::cli_path() + " reconstruct " +
                    (tmp.path() / "utt0.wav").string() + " -o " + (tmp.path() / "out.wav").string(),
                &out),
            0);
  EXPECT_NE(out.find("train-default-model.sh"), std::string::npos) << out;
}

// The shipped model (added before CI; see models/README.md).
TEST(DefaultModel, ShippedFileLoadsAndCarriesItsModelCard) {
  if (!fs::exists(shipped_model()))
    GTEST_SKIP() << shipped_model() << " is absent (bash scripts/train-default-model.sh makes it)";
  const auto file = io::SafetensorsFile::open(shipped_model().string());
  const auto& meta = file->metadata();
  ASSERT_TRUE(meta.count("xcodec.model"));
  EXPECT_EQ(meta.at("xcodec.model"), "dwan");
  ASSERT_TRUE(meta.count("xcodec.config"));
  ASSERT_TRUE(meta.count("xcodec.model_card")) << "export it with `xcodec export --card`";
  const auto card = nlohmann::json::parse(meta.at("xcodec.model_card"));
  for (const char* key : {"name", "data", "licence", "recipe", "steps", "wall_time_s", "metrics",
                          "command", "bitrate_bps"})
    EXPECT_TRUE(card.contains(key)) << "model card lacks '" << key << "': " << card.dump(2);
  ASSERT_TRUE(card["data"].is_array() && !card["data"].empty()) << card.dump(2);
  for (const auto& d : card["data"]) {
    EXPECT_TRUE(d.contains("source")) << d.dump();
    EXPECT_TRUE(d.contains("licence")) << d.dump();
  }
  const auto codec = Codec::load(shipped_model().string());
  EXPECT_EQ(codec->sample_rate(), 16000);
  EXPECT_EQ(codec->codebook_size(), 65536);
  EXPECT_DOUBLE_EQ(codec->frame_rate(), 50.0);
  EXPECT_TRUE(codec->can_encode());
}

TEST(E2EDefaultModel, ReconstructWithoutModelFlagUsesShippedModel) {
  if (!fs::exists(shipped_model()))
    GTEST_SKIP() << shipped_model() << " is absent (bash scripts/train-default-model.sh makes it)";
  TempDir tmp;
  audio::Audio a;
  a.samples = xcodec::testing::synthetic_speech(1.3, 2, 22050);
  a.sample_rate = 22050;
  audio::write_audio((tmp.path() / "in.wav").string(), a);
  std::string out;
  ASSERT_EQ(xcodec::testing::run_command("env -u XCODEC_MODEL " + xcodec::testing::cli_path() +
                                             " reconstruct " + (tmp.path() / "in.wav").string() +
                                             " -o " + (tmp.path() / "out.wav").string(),
                                         &out),
            0)
      << out;
  EXPECT_NE(out.find("[model] "), std::string::npos) << out;
  EXPECT_NE(out.find(kDefaultModelFile), std::string::npos) << out;
  EXPECT_NE(out.find("800 bit/s"), std::string::npos) << out;
  const audio::Audio y = audio::read_audio((tmp.path() / "out.wav").string());
  EXPECT_EQ(y.sample_rate, 22050);
  EXPECT_EQ(y.samples.size(), a.samples.size());
}

}  // namespace
}  // namespace xcodec::infer
