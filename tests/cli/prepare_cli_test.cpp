// End-to-end runs of `xcodec prepare` and `xcodec info` on generated folders.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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
  // notes.txt (not audio) and other/loop (a folder link) are ignored.
  EXPECT_NE(out.find("13 input files: 7 converted, 4 skipped, 2 ignored"), std::string::npos)
      << out;
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

// Issue 11: one run over every awkward input at once. Nothing stops it, every file is counted
// in the printed summary and listed in metadata.json, and the registry ends up in the
// documented layout although it started in the old wrapped one.
TEST(E2EPrepare, AccountsForEveryInputFile) {
  TempDir dir;
  const fs::path in = dir.path() / "in";
  const fs::path data = dir.path() / "data";
  fs::create_directories(in / "d");
  using testing::ffmpeg_tone;
  const std::string long_name = std::string(240, 'L') + ".wav";  // 244 bytes
  ASSERT_TRUE(ffmpeg_tone((in / long_name).string(), 16000, 0.3, "-c:a pcm_s16le", 1));
  ASSERT_TRUE(ffmpeg_tone((in / "d/x.flac").string(), 16000, 0.3, "-c:a flac", 1));
  ASSERT_TRUE(ffmpeg_tone((in / "d/x.oga").string(), 16000, 0.3, "-c:a libvorbis", 1));
  ASSERT_TRUE(ffmpeg_tone((in / "ircam.sf").string(), 16000, 0.3, "-f ircam", 1));
  ASSERT_TRUE(ffmpeg_tone((in / "noext").string(), 16000, 0.3, "-f aiff", 1));
  ASSERT_TRUE(ffmpeg_tone((in / "dot.").string(), 16000, 0.3, "-f au", 1));
  ASSERT_TRUE(ffmpeg_tone((in / ".hidden.wav").string(), 16000, 0.3, "-c:a pcm_s16le", 1));
  ASSERT_TRUE(ffmpeg_tone((in / "caf\xE9.wav").string(), 16000, 0.3, "-c:a pcm_s16le", 1));
  ASSERT_TRUE(ffmpeg_tone((in / "._x.wav").string(), 16000, 0.3, "-c:a pcm_s16le", 1));
  // 24 valid bits in 32-bit containers (WAVE_FORMAT_EXTENSIBLE, PCM SubFormat), 0.3 s.
  std::string ext = "RIFF" + std::string(4, '\0') + "WAVEfmt " + std::string("\x28\0\0\0", 4);
  ext += std::string("\xFE\xFF\x01\x00\x80\x3E\x00\x00\x00\xFA\x00\x00\x04\x00\x20\x00", 16);
  ext += std::string("\x16\x00\x18\x00\x04\x00\x00\x00", 8);
  ext += std::string("\x01\x00\x00\x00\x00\x00\x10\x00\x80\x00\x00\xAA\x00\x38\x9B\x71", 16);
  std::string samples;
  for (int i = 0; i < 4800; ++i) {
    const auto v =
        static_cast<int32_t>(std::lround(0.5 * std::sin(2 * M_PI * 440 * i / 16000.0) * 8388607.0));
    const uint32_t c = static_cast<uint32_t>(v) << 8;
    for (int b = 0; b < 4; ++b) samples += static_cast<char>((c >> (8 * b)) & 0xff);
  }
  ext += "data" + std::string{static_cast<char>(samples.size() & 0xff),
                              static_cast<char>((samples.size() >> 8) & 0xff), '\0', '\0'};
  ext += samples;
  const uint32_t riff = static_cast<uint32_t>(ext.size() - 8);
  for (int b = 0; b < 4; ++b) ext[4 + b] = static_cast<char>((riff >> (8 * b)) & 0xff);
  testing::write_bytes((in / "ext24.wav").string(), ext);
  std::string out;
  ASSERT_EQ(testing::run_command("ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "
                                 "color=c=blue:s=8x8:d=1 -frames:v 1 -f image2 " +
                                     shell_quote((in / "cover.png").string()),
                                 &out),
            0)
      << out;
  testing::write_bytes((in / "song.mid").string(),
                       std::string("MThd\0\0\0\6\0\0\0\1\0\x60MTrk\0\0\0\4\0\xff\x2f\0", 26));
  testing::write_bytes((in / ".DS_Store").string(), std::string("\0\0\0\1Bud1", 8));
  testing::write_bytes((in / "broken.wav").string(), "");
  // A registry in the old wrapped form, with another dataset.
  fs::create_directories(data);
  testing::write_bytes((data / "datasets.json").string(),
                       R"({"format_version": 1, "datasets": {"old": {"path": "processed/old",
                           "sample_rate": 16000, "audio_format": "wav"}}})");

  const std::string cmd = shell_quote(testing::cli_path()) + " prepare --dataset odd --input-dir " +
                          shell_quote(in.string()) + " --output-dir " + shell_quote(data.string()) +
                          " --jobs 2 --progress none";
  ASSERT_EQ(testing::run_command(cmd, &out), 0) << out;
  // Converted: long name, x.flac, x.oga, ircam.sf, noext, dot., .hidden.wav, café, ext24 (9);
  // skipped: broken.wav; ignored: ._x.wav, .DS_Store, cover.png, song.mid.
  EXPECT_NE(out.find("prepared odd: 9 files"), std::string::npos) << out;
  EXPECT_NE(out.find("14 input files: 9 converted, 1 skipped, 4 ignored"), std::string::npos)
      << out;
  const data::DatasetRegistry reg = data::DatasetRegistry::load(data.string());
  EXPECT_EQ(reg.names(), (std::vector<std::string>{"odd", "old"}));
  const nlohmann::json j =
      nlohmann::json::parse(testing::read_bytes((data / "datasets.json").string()));
  EXPECT_FALSE(j.contains("datasets")) << j.dump();
  EXPECT_EQ(j.at("odd").at("stats").at("train_samples").get<int>() +
                j.at("odd").at("stats").at("val_samples").get<int>() +
                j.at("odd").at("stats").at("test_samples").get<int>(),
            9);
  const data::DatasetMetadata m = data::read_metadata(reg.metadata_path("odd"));
  EXPECT_EQ(m.found, 14);
  EXPECT_EQ(m.converted, 9);
  ASSERT_EQ(m.skipped.size(), 1u);
  EXPECT_EQ(m.skipped[0].path, "broken.wav");
  std::vector<std::string> ignored;
  for (const auto& x : m.ignored) ignored.push_back(x.path);
  EXPECT_EQ(ignored, (std::vector<std::string>{".DS_Store", "._x.wav", "cover.png", "song.mid"}));
  std::vector<std::string> renamed;
  for (const auto& x : m.renamed) renamed.push_back(x.path + " -> " + x.output);
  ASSERT_EQ(renamed.size(), 3u);
  EXPECT_EQ(renamed[1], "caf\xE9.wav -> caf%E9.wav");
  EXPECT_EQ(renamed[2], "d/x.oga -> d/x.oga.wav");
  EXPECT_EQ(m.renamed[0].path, long_name);
  EXPECT_LE(m.renamed[0].output.size(), 200u);
  // Every listed output is there and is 0.3 s of mono 16 kHz audio (the 24-in-32 file too).
  for (const auto split : {data::Split::kTrain, data::Split::kVal, data::Split::kTest}) {
    for (const auto& e : data::read_split_tsv(reg.split_path("odd", split))) {
      const fs::path p = fs::path(reg.audio_dir("odd")) / e.relative_path;
      const audio::Audio a = audio::read_audio(p.string());
      EXPECT_NEAR(a.duration_s(), 0.3, 0.04) << p;
      EXPECT_GT(
          testing::tone_amplitude(a.samples, 16000, e.relative_path == "ext24.wav" ? 440 : 1000),
          0.4)
          << p;
    }
  }
  // A re-run converts nothing and counts the same.
  ASSERT_EQ(testing::run_command(cmd, &out), 0) << out;
  EXPECT_NE(out.find("converted 0, unchanged 9, skipped 1, ignored 4 (of 14 input files)"),
            std::string::npos)
      << out;
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
