// End-to-end runs of `xcodec prepare` and `xcodec info` on generated folders.
#include <filesystem>
#include <string>
#include <vector>

#include "audio/audio_test_util.h"
#include "support/test_support.h"
#include "xcodec/audio/audio.h"
#include "xcodec/data/registry/metadata.h"
#include "xcodec/data/registry/registry.h"

namespace xcodec {
namespace {

namespace fs = std::filesystem;
using testing::shell_quote;
using testing::TempDir;

int count_lines(const std::string& s) {
  int n = 0;
  for (const char c : s) n += c == '\n';
  return n;
}

// A small corpus of mixed formats, rates, channels, nesting, names and broken files.
void make_mixed_corpus(const fs::path& in) {
  fs::create_directories(in / "train-clean" / "spk 1");
  fs::create_directories(in / "dev");
  fs::create_directories(in / "test");
  fs::create_directories(in / "other" / "deep" / "nested");
  fs::create_directories(in / "broken");
  using testing::ffmpeg_tone;
  ASSERT_TRUE(ffmpeg_tone((in / "train-clean/spk 1/ütt 1.flac").string(), 44100, 0.6, "-c:a flac"));
  ASSERT_TRUE(ffmpeg_tone((in / "train-clean/spk 1/声音.mp3").string(), 22050, 0.6,
                          "-c:a libmp3lame -b:a 64k", 1));
  ASSERT_TRUE(ffmpeg_tone((in / "dev/x.ogg").string(), 48000, 0.5, "-c:a libvorbis"));
  ASSERT_TRUE(ffmpeg_tone((in / "test/y.m4a").string(), 44100, 0.5, "-c:a aac"));
  ASSERT_TRUE(ffmpeg_tone((in / "other/deep/nested/z.wav").string(), 8000, 0.4, "-c:a pcm_u8", 1));
  ASSERT_TRUE(ffmpeg_tone((in / "other/a b.opus").string(), 48000, 0.5, "-c:a libopus"));
  ASSERT_TRUE(ffmpeg_tone((in / "other/lying.wav").string(), 32000, 0.5, "-f flac", 1));
  testing::write_bytes((in / "broken/empty.wav").string(), "");
  testing::write_bytes((in / "broken/text.mp3").string(), "just some text, not audio\n");
  std::vector<float> nan_samples(800, 0.1f);
  nan_samples[100] = NAN;
  testing::write_bytes((in / "broken/nan.wav").string(),
                       testing::wav_bytes(3, 1, 16000, 32, testing::float_bytes(nan_samples)));
  const std::string flac = testing::read_bytes((in / "train-clean/spk 1/ütt 1.flac").string());
  testing::write_bytes((in / "broken/truncated.flac").string(), flac.substr(0, flac.size() / 3));
  testing::write_bytes((in / "notes.txt").string(), "transcripts");
  fs::create_directory_symlink("..", in / "other" / "loop");
}

TEST(E2EPrepare, MixedCorpusWithBrokenFiles) {
  TempDir dir;
  const fs::path in = dir.path() / "in corpus";
  const fs::path data = dir.path() / "data";
  make_mixed_corpus(in);
  const std::string cmd = shell_quote(testing::cli_path()) + " prepare --dataset mix --input-dir " +
                          shell_quote(in.string()) + " --output-dir " + shell_quote(data.string()) +
                          " --jobs 2";
  std::string out;
  ASSERT_EQ(testing::run_command(cmd, &out), 0) << out;
  EXPECT_NE(out.find("prepared mix: 7 files"), std::string::npos) << out;
  EXPECT_NE(out.find("skipped 4"), std::string::npos) << out;
  EXPECT_NE(out.find("not following directory symlink 'other/loop'"), std::string::npos) << out;

  const data::DatasetRegistry reg = data::DatasetRegistry::load(data.string());
  const data::DatasetEntry& e = reg.entry("mix");
  EXPECT_EQ(e.sample_rate, 16000);
  EXPECT_EQ(e.stats.val_samples, 1);   // dev/
  EXPECT_EQ(e.stats.test_samples, 1);  // test/
  EXPECT_EQ(e.stats.train_samples + e.stats.val_samples + e.stats.test_samples, 7);
  int64_t listed = 0;
  for (const auto split : {data::Split::kTrain, data::Split::kVal, data::Split::kTest}) {
    for (const auto& entry : data::read_split_tsv(reg.split_path("mix", split))) {
      const fs::path p = fs::path(reg.audio_dir("mix")) / entry.relative_path;
      const audio::AudioInfo info = audio::probe_audio(p.string());
      EXPECT_EQ(info.sample_rate, 16000) << p;
      EXPECT_EQ(info.channels, 1) << p;
      EXPECT_EQ(info.frames, entry.num_samples) << p;
      ++listed;
    }
  }
  EXPECT_EQ(listed, 7);
  EXPECT_TRUE(fs::exists(fs::path(reg.audio_dir("mix")) / "train-clean/spk 1/ütt 1.wav"));
  EXPECT_TRUE(fs::exists(fs::path(reg.audio_dir("mix")) / "train-clean/spk 1/声音.wav"));
  EXPECT_TRUE(fs::exists(fs::path(reg.audio_dir("mix")) / "other/a b.wav"));
  const data::DatasetMetadata m = data::read_metadata(reg.metadata_path("mix"));
  ASSERT_EQ(m.skipped.size(), 4u);
  EXPECT_EQ(m.skipped[0].path, "broken/empty.wav");
  EXPECT_NE(m.skipped[0].reason.find("empty"), std::string::npos);
  EXPECT_EQ(m.skipped[1].path, "broken/nan.wav");
  EXPECT_NE(m.skipped[1].reason.find("NaN"), std::string::npos);
  EXPECT_EQ(m.skipped[3].path, "broken/truncated.flac");

  // A re-run converts nothing; --strict turns the skipped files into a failure.
  ASSERT_EQ(testing::run_command(cmd + " --strict", &out), 1) << out;
  EXPECT_NE(out.find("converted 0, unchanged 7"), std::string::npos) << out;
  EXPECT_NE(out.find("--strict"), std::string::npos) << out;

  // Nothing usable: non-zero exit.
  const fs::path junk = dir.path() / "junk";
  fs::create_directories(junk);
  testing::write_bytes((junk / "a.wav").string(), "nope");
  EXPECT_EQ(testing::run_command(
                shell_quote(testing::cli_path()) + " prepare --dataset junk --input-dir " +
                    shell_quote(junk.string()) + " --output-dir " + shell_quote(data.string()),
                &out),
            1)
      << out;
  EXPECT_NE(out.find("no usable audio"), std::string::npos) << out;
}

TEST(E2EPrepare, ConcurrentRunsOnDifferentDatasetsAllRegister) {
  TempDir dir;
  const fs::path in = dir.path() / "in";
  fs::create_directories(in);
  ASSERT_TRUE(testing::ffmpeg_tone((in / "a.wav").string(), 16000, 0.3, "-c:a pcm_s16le"));
  ASSERT_TRUE(testing::ffmpeg_tone((in / "b.wav").string(), 22050, 0.3, "-c:a pcm_s16le"));
  const fs::path data = dir.path() / "data";
  std::string script;
  for (int i = 0; i < 3; ++i) {
    script += shell_quote(testing::cli_path()) + " prepare --dataset set" + std::to_string(i) +
              " --input-dir " + shell_quote(in.string()) + " --output-dir " +
              shell_quote(data.string()) + " --jobs 1 --progress none & ";
  }
  script += "wait";
  std::string out;
  ASSERT_EQ(testing::run_command("sh -c " + shell_quote(script), &out), 0) << out;
  const data::DatasetRegistry reg = data::DatasetRegistry::load(data.string());
  EXPECT_EQ(reg.names(), (std::vector<std::string>{"set0", "set1", "set2"})) << out;
}

TEST(E2EInfo, OneLinePerFileAndFailsOnBadFiles) {
  TempDir dir;
  const fs::path good = dir.path() / "tone 1.wav";
  ASSERT_TRUE(testing::ffmpeg_tone(good.string(), 44100, 1.0, "-c:a pcm_s16le"));
  const fs::path bad = dir.path() / "bad.mp3";
  testing::write_bytes(bad.string(), "");
  std::string out;
  ASSERT_EQ(testing::run_command(
                shell_quote(testing::cli_path()) + " info " + shell_quote(good.string()), &out),
            0)
      << out;
  EXPECT_EQ(count_lines(out), 1) << out;
  EXPECT_NE(out.find("format=wav"), std::string::npos) << out;
  EXPECT_NE(out.find("rate=44100"), std::string::npos) << out;
  EXPECT_NE(out.find("channels=2"), std::string::npos) << out;
  EXPECT_NE(out.find("frames=44100"), std::string::npos) << out;
  EXPECT_NE(out.find("duration=1.000s"), std::string::npos) << out;
  EXPECT_NE(out.find("peak=-6.0"), std::string::npos) << out;  // left channel at 0.5

  const int rc =
      testing::run_command(shell_quote(testing::cli_path()) + " info " + shell_quote(bad.string()) +
                               " " + shell_quote(good.string()),
                           &out);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("bad.mp3\terror:"), std::string::npos) << out;
  EXPECT_NE(out.find("empty file"), std::string::npos) << out;
  EXPECT_NE(out.find("rate=44100"), std::string::npos) << out;  // later files still reported
}

}  // namespace
}  // namespace xcodec
