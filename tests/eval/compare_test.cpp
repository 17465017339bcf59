// `xcodec eval --ref --deg`: delay estimation, pairing by relative path, bad folders.
#include "xcodec/eval/compare.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "support/synthetic_speech.h"
#include "support/test_support.h"
#include "xcodec/audio/audio.h"
#include "xcodec/audio/resample.h"
#include "xcodec/core/error.h"
#include "xcodec/eval/metrics/stoi.h"

namespace xcodec::eval {
namespace {

namespace fs = std::filesystem;
using xcodec::testing::TempDir;

// `x` delayed by `d` samples (d < 0: advanced), same length, zeros shifted in.
std::vector<float> shifted(const std::vector<float>& x, int64_t d) {
  std::vector<float> y(x.size(), 0.0f);
  for (int64_t i = 0; i < static_cast<int64_t>(x.size()); ++i) {
    const int64_t j = i - d;
    if (j >= 0 && j < static_cast<int64_t>(x.size())) y[static_cast<size_t>(i)] = x[j];
  }
  return y;
}

void write(const fs::path& path, const std::vector<float>& x, int rate,
           audio::AudioFileFormat format = audio::kWav16) {
  fs::create_directories(path.parent_path());
  audio::Audio a;
  a.samples = x;
  a.sample_rate = rate;
  audio::write_audio(path.string(), a, format);
}

TEST(CompareDelay, Recovers37MsEitherSignWithinOneSample) {
  const auto x = xcodec::testing::synthetic_speech(2.0, 1);
  const int64_t d = 592;  // 37 ms at 16 kHz
  EXPECT_LE(std::abs(estimate_delay(x, shifted(x, d), 1600) - d), 1);
  EXPECT_LE(std::abs(estimate_delay(x, shifted(x, -d), 1600) + d), 1);
  EXPECT_EQ(estimate_delay(x, x, 1600), 0);
  // Beyond the search range the best lag inside it is returned, never one outside.
  EXPECT_LE(std::abs(estimate_delay(x, shifted(x, d), 160)), 160);
  EXPECT_EQ(estimate_delay(x, shifted(x, d), 0), 0);
  EXPECT_EQ(estimate_delay(x, std::vector<float>(x.size(), 0.0f), 1600), 0);
}

TEST(CompareDelay, DifferentLengthsAndNoise) {
  const auto x = xcodec::testing::synthetic_speech(1.5, 2);
  auto y = shifted(x, 400);
  y.resize(y.size() - 3000);  // a codec that drops the tail
  for (size_t i = 0; i < y.size(); ++i) y[i] = 0.7f * y[i] + 0.01f * std::sin(0.37f * i);
  EXPECT_LE(std::abs(estimate_delay(x, y, 1600) - 400), 1);
}

// A codec that keeps the spectral envelope but not the phase (codec2, GAN decoders): the same
// magnitude spectrogram with random phases. The envelope still finds the delay.
TEST(CompareDelay, PhaseFreeCopyIsAlignedByItsEnvelope) {
  torch::manual_seed(7);
  const auto x = xcodec::testing::synthetic_speech(3.0, 1);
  const torch::Tensor t = torch::from_blob(const_cast<float*>(x.data()),
                                           {static_cast<int64_t>(x.size())}, torch::kFloat32);
  const torch::Tensor window = torch::hann_window(512);
  const torch::Tensor spec =
      torch::stft(t, 512, 128, 512, window, true, "reflect", false, c10::nullopt, true);
  const torch::Tensor phase = torch::rand(spec.sizes()) * 2 * M_PI;
  const torch::Tensor scrambled = torch::polar(spec.abs(), phase);
  const torch::Tensor y =
      torch::istft(scrambled, 512, 128, 512, window, true, false, c10::nullopt, t.size(0))
          .contiguous();
  std::vector<float> deg(y.data_ptr<float>(), y.data_ptr<float>() + y.numel());
  deg = shifted(deg, 592);
  EXPECT_LE(std::abs(estimate_delay(x, deg, 1600) - 592), 32);  // within 2 ms
}

TEST(CompareDelay, StoiOfDelayedCopyIsOneAfterCompensation) {
  const int rate = 16000;
  const auto x = xcodec::testing::synthetic_speech(3.0, 3);
  const auto y = shifted(x, 592);
  const double before = stoi(x, y, rate);
  const auto p = align_signals(x, y, estimate_delay(x, y, 1600));
  EXPECT_EQ(p.reference.size(), x.size() - 592);
  const double after = stoi(p.reference, p.degraded, rate);
  EXPECT_GT(after, 0.999);
  EXPECT_LT(before, after - 0.05) << "the test signal must be delay-sensitive";
}

class CompareDirs : public ::testing::Test {
 protected:
  TempDir tmp_;
  fs::path ref_ = tmp_.path() / "ref";
  fs::path deg_ = tmp_.path() / "deg";
};

TEST_F(CompareDirs, PairsByPathWithoutExtensionAndListsUnmatched) {
  const auto a = xcodec::testing::synthetic_speech(2.0, 1);
  const auto b = xcodec::testing::synthetic_speech(2.0, 2);
  write(ref_ / "spk1" / "a.wav", a, 16000);
  write(ref_ / "b.wav", b, 16000);
  write(ref_ / "only_ref.wav", b, 16000);
  // deg: a delayed 37 ms as FLAC; b at 8 kHz (resampled back to the reference's rate).
  write(deg_ / "spk1" / "a.flac", shifted(a, 592), 16000, audio::kFlac16);
  write(deg_ / "b.wav", audio::resample(b, 16000, 8000), 8000);
  write(deg_ / "only_deg.wav", a, 16000);
  std::ofstream(deg_ / "notes.txt") << "not audio";

  CompareOptions o;
  o.ref_dir = ref_.string();
  o.deg_dir = deg_.string();
  o.output = (tmp_.path() / "report.json").string();
  const auto r = run_comparison(o);
  ASSERT_EQ(r["files_evaluated"].get<int64_t>(), 2) << r.dump(2);
  EXPECT_EQ(r["unmatched_ref"], nlohmann::json::array({"only_ref.wav"}));
  EXPECT_EQ(r["unmatched_deg"], nlohmann::json::array({"only_deg.wav"}));
  EXPECT_TRUE(r["failed"].empty());
  const auto& files = r["files"];
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0]["file"], "b.wav");
  EXPECT_EQ(files[1]["file"], (fs::path("spk1") / "a.wav").string());
  EXPECT_EQ(files[1]["degraded"], (fs::path("spk1") / "a.flac").string());
  EXPECT_NEAR(files[1]["delay_ms"].get<double>(), 37.0, 1000.0 / 16000);
  EXPECT_GT(files[1]["stoi"].get<double>(), 0.999);
  EXPECT_NEAR(files[0]["delay_ms"].get<double>(), 0.0, 1000.0 / 16000);
  EXPECT_GT(files[0]["stoi"].get<double>(), 0.95);  // band-limited to 4 kHz
  EXPECT_TRUE(fs::exists(o.output));
  EXPECT_NEAR(r["mean"]["delay_ms"].get<double>(), 18.5, 0.1);

  // Without compensation the delayed file scores lower.
  o.max_delay_ms = 0;
  o.output.clear();
  const auto raw = run_comparison(o);
  EXPECT_LT(raw["files"][1]["stoi"].get<double>(), 0.95);
  EXPECT_EQ(raw["files"][1]["delay_ms"].get<double>(), 0.0);

  // A common scoring rate.
  o.sample_rate = 8000;
  o.max_delay_ms = 100;
  const auto at8k = run_comparison(o);
  EXPECT_EQ(at8k["files"][0]["sample_rate"].get<int>(), 8000);
  EXPECT_NEAR(at8k["files"][1]["delay_ms"].get<double>(), 37.0, 1000.0 / 8000);
}

TEST_F(CompareDirs, BadFolders) {
  CompareOptions o;
  o.ref_dir = (tmp_.path() / "missing").string();
  o.deg_dir = deg_.string();
  EXPECT_THROW(run_comparison(o), IoError);
  fs::create_directories(ref_);
  fs::create_directories(deg_);
  o.ref_dir = ref_.string();
  EXPECT_THROW(run_comparison(o), IoError);  // no audio under --ref
  write(ref_ / "a.wav", xcodec::testing::synthetic_speech(1.0, 1), 16000);
  write(deg_ / "z.wav", xcodec::testing::synthetic_speech(1.0, 1), 16000);
  try {
    run_comparison(o);
    FAIL() << "no pair matched, expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("matches"), std::string::npos) << e.what();
  }
  o.deg_dir.clear();
  EXPECT_THROW(run_comparison(o), ConfigError);
  o.deg_dir = deg_.string();
  o.max_delay_ms = -1;
  EXPECT_THROW(run_comparison(o), ConfigError);
}

TEST_F(CompareDirs, UnreadableDegradedFileIsListedAsFailed) {
  const auto a = xcodec::testing::synthetic_speech(1.0, 1);
  write(ref_ / "a.wav", a, 16000);
  write(ref_ / "b.wav", a, 16000);
  write(deg_ / "a.wav", a, 16000);
  fs::create_directories(deg_);
  std::ofstream(deg_ / "b.wav") << "broken";
  CompareOptions o;
  o.ref_dir = ref_.string();
  o.deg_dir = deg_.string();
  const auto r = run_comparison(o);
  EXPECT_EQ(r["files_evaluated"].get<int64_t>(), 1);
  ASSERT_EQ(r["failed"].size(), 1u);
  EXPECT_EQ(r["failed"][0]["file"], "b.wav");
}

TEST(E2ECompare, CommandPrintsTableAndWritesReport) {
  TempDir tmp;
  const auto a = xcodec::testing::synthetic_speech(1.5, 1);
  write(tmp.path() / "ref" / "x.wav", a, 16000);
  write(tmp.path() / "deg" / "x.wav", shifted(a, 592), 16000);
  const std::string base = xcodec::testing::cli_path() + " eval --ref " +
                           (tmp.path() / "ref").string() + " --deg " +
                           (tmp.path() / "deg").string();
  std::string out;
  ASSERT_EQ(xcodec::testing::run_command(base + " -o " + (tmp.path() / "r.json").string(), &out), 0)
      << out;
  EXPECT_NE(out.find("mean of 1 files"), std::string::npos) << out;
  EXPECT_NE(out.find("37.0"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(tmp.path() / "r.json"));
  EXPECT_NE(xcodec::testing::run_command(xcodec::testing::cli_path() + " eval --ref " +
                                             (tmp.path() / "nope").string() + " --deg " +
                                             (tmp.path() / "deg").string(),
                                         &out),
            0);
  EXPECT_NE(out.find("is not a folder"), std::string::npos) << out;
  // --ref needs --deg, and excludes -m.
  EXPECT_NE(xcodec::testing::run_command(
                xcodec::testing::cli_path() + " eval --ref " + (tmp.path() / "ref").string(), &out),
            0);
}

}  // namespace
}  // namespace xcodec::eval
