// `prepare` on awkward inputs: names too long, colliding, not UTF-8, without an audio extension;
// content that is not audio; files that break in the middle of a run. Every input file must end
// up converted, skipped or ignored, and no file may stop the run.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "audio/audio_test_util.h"
#include "data/prepare/prepare_test_util.h"
#include "support/test_support.h"
#include "xcodec/audio/audio.h"
#include "xcodec/core/error.h"
#include "xcodec/data/prepare/prepare.h"
#include "xcodec/data/registry/metadata.h"
#include "xcodec/data/registry/name_escape.h"
#include "xcodec/data/registry/registry.h"

namespace xcodec::data {
namespace {

namespace fs = std::filesystem;
using xcodec::testing::TempDir;

// Writes a tone to `path`. (Through a short name and a rename: the writer's own temporary name
// would not fit beside a 244-byte name.)
void tone(const fs::path& path, double seconds = 0.3, int rate = 16000) {
  fs::create_directories(path.parent_path());
  if (path.filename().string().size() > 200) {
    const fs::path short_path = path.parent_path() / "tone-tmp.wav";
    tone(short_path, seconds, rate);
    fs::rename(short_path, path);
    return;
  }
  testing::write_tone(path, rate, seconds);
}

PrepareConfig config_for(const TempDir& dir) { return testing::quiet_config(dir, "odd"); }

fs::path audio_dir(const PrepareConfig& c) {
  return fs::path(c.output_dir) / "processed/odd/audio";
}

std::vector<std::string> train_paths(const PrepareConfig& c) {
  std::vector<std::string> out;
  for (const auto& e :
       read_split_tsv((fs::path(c.output_dir) / "processed/odd/train.tsv").string())) {
    out.push_back(e.relative_path);
  }
  return out;
}

std::string output_of(const PrepareResult& r, const std::string& source) {
  for (const auto& x : r.renamed) {
    if (x.path == source) return x.output;
  }
  return "<not renamed>";
}

std::string reason_for(const std::vector<SkippedFile>& list, const std::string& path) {
  for (const auto& s : list) {
    if (s.path == path) return s.reason;
  }
  return "<not listed>";
}

// Issue 11: a 244-byte file name aborted the whole run (its temporary name passed NAME_MAX).
TEST(PrepareInputs, NameOf244BytesIsShortenedAndMapped) {
  TempDir dir;
  const PrepareConfig cfg = config_for(dir);
  const std::string long_name = std::string(240, 'n') + ".wav";
  ASSERT_EQ(long_name.size(), 244u);
  tone(fs::path(cfg.input_dir) / "spk" / long_name);
  tone(fs::path(cfg.input_dir) / "spk" / "short.wav");
  PrepareResult r = prepare_dataset(cfg);
  EXPECT_EQ(r.converted, 2);
  EXPECT_TRUE(r.skipped.empty()) << r.skipped[0].reason;
  const std::string out = output_of(r, "spk/" + long_name);
  ASSERT_NE(out, "<not renamed>");
  EXPECT_LE(fs::path(out).filename().string().size(), 200u);
  EXPECT_TRUE(fs::is_regular_file(audio_dir(cfg) / out));
  EXPECT_EQ(train_paths(cfg), (std::vector<std::string>{out, "spk/short.wav"}));
  // The mapping is in metadata.json.
  const DatasetMetadata m = read_metadata((fs::path(r.dataset_dir) / "metadata.json").string());
  ASSERT_EQ(m.renamed.size(), 1u);
  EXPECT_EQ(m.renamed[0].path, "spk/" + long_name);
  EXPECT_EQ(m.renamed[0].output, out);
  // A re-run finds it again under the same name.
  r = prepare_dataset(cfg);
  EXPECT_EQ(r.unchanged, 2);
  EXPECT_EQ(r.converted, 0);
  EXPECT_EQ(output_of(r, "spk/" + long_name), out);
}

// Issue 11: `x.flac` and `x.oga` in one folder: one was skipped ("same output name").
TEST(PrepareInputs, SameStemDifferentExtensionsKeepsBothStably) {
  TempDir dir;
  const PrepareConfig cfg = config_for(dir);
  const fs::path in(cfg.input_dir);
  fs::create_directories(in / "d");
  ASSERT_TRUE(testing::ffmpeg_tone((in / "d/x.flac").string(), 16000, 0.3, "-c:a flac", 1));
  ASSERT_TRUE(testing::ffmpeg_tone((in / "d/x.oga").string(), 16000, 0.5, "-c:a libvorbis", 1));
  PrepareResult r = prepare_dataset(cfg);
  EXPECT_EQ(r.converted, 2);
  EXPECT_TRUE(r.skipped.empty());
  EXPECT_EQ(train_paths(cfg), (std::vector<std::string>{"d/x.oga.wav", "d/x.wav"}));
  EXPECT_EQ(output_of(r, "d/x.oga"), "d/x.oga.wav");
  // x.wav is x.flac's (0.3 s), x.oga.wav is x.oga's (~0.5 s).
  EXPECT_NEAR(audio::read_audio((audio_dir(cfg) / "d/x.wav").string()).duration_s(), 0.3, 0.01);
  EXPECT_GT(audio::read_audio((audio_dir(cfg) / "d/x.oga.wav").string()).duration_s(), 0.45);

  // A file added later that sorts first renames nothing; resume after a lost output too.
  ASSERT_TRUE(testing::ffmpeg_tone((in / "d/x.aac").string(), 16000, 0.4, "-c:a aac -f adts", 1));
  fs::remove(audio_dir(cfg) / "d/x.oga.wav");
  r = prepare_dataset(cfg);
  EXPECT_EQ(r.converted, 2);  // x.aac, x.oga (its output was gone)
  EXPECT_EQ(r.unchanged, 1);
  EXPECT_EQ(train_paths(cfg), (std::vector<std::string>{"d/x.aac.wav", "d/x.oga.wav", "d/x.wav"}));
  EXPECT_NEAR(audio::read_audio((audio_dir(cfg) / "d/x.wav").string()).duration_s(), 0.3, 0.01);
}

// Issue 11: audio whose name has no or an unknown extension is found by its content.
TEST(PrepareInputs, AudioIsFoundByContentWhateverItsName) {
  TempDir dir;
  const PrepareConfig cfg = config_for(dir);
  const fs::path in(cfg.input_dir);
  fs::create_directories(in);
  using testing::ffmpeg_tone;
  ASSERT_TRUE(ffmpeg_tone((in / "ircam.sf").string(), 16000, 0.3, "-f ircam", 1));
  ASSERT_TRUE(ffmpeg_tone((in / "no_extension").string(), 22050, 0.3, "-f aiff", 1));
  ASSERT_TRUE(ffmpeg_tone((in / "trailing_dot.").string(), 8000, 0.3, "-f au", 1));
  ASSERT_TRUE(ffmpeg_tone((in / ".hidden.wav").string(), 16000, 0.3, "-c:a pcm_s16le", 1));
  ASSERT_TRUE(ffmpeg_tone((in / "sox.data").string(), 16000, 0.3, "-f sox", 1));
  std::string out;
  ASSERT_EQ(testing::run_command("sox -n -r 16000 -c 1 " +
                                     testing::shell_quote((in / "amiga.8svx").string()) +
                                     " synth 0.3 sine 440 vol 0.5",
                                 &out),
            0)
      << out;
  const PrepareResult r = prepare_dataset(cfg);
  EXPECT_TRUE(r.skipped.empty()) << r.skipped[0].path << ": " << r.skipped[0].reason;
  EXPECT_TRUE(r.ignored.empty()) << r.ignored[0].path << ": " << r.ignored[0].reason;
  EXPECT_EQ(train_paths(cfg),
            (std::vector<std::string>{".hidden.wav", "amiga.wav", "ircam.wav", "no_extension.wav",
                                      "sox.wav", "trailing_dot.wav"}));
  for (const auto& p : train_paths(cfg)) {
    EXPECT_NEAR(audio::read_audio((audio_dir(cfg) / p).string()).duration_s(), 0.3, 0.01) << p;
  }
}

// Issue 11: junk and non-audio files are ignored, each with a reason, decided by content.
TEST(PrepareInputs, JunkAndNonAudioAreIgnoredAndListed) {
  TempDir dir;
  const PrepareConfig cfg = config_for(dir);
  const fs::path in(cfg.input_dir);
  tone(in / "ok.wav");
  tone(in / "._ok.wav");  // AppleDouble: ignored by name, even though it is audio here
  testing::write_bytes((in / ".DS_Store").string(), std::string("\0\0\0\1Bud1", 8));
  std::string out;
  ASSERT_EQ(testing::run_command("ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "
                                 "color=c=red:s=16x16:d=1 -frames:v 1 -f image2 " +
                                     testing::shell_quote((in / "cover.png").string()),
                                 &out),
            0)
      << out;
  fs::copy_file(in / "cover.png", in / "cover_png_named.wav");  // says audio, is an image
  fs::copy_file(in / "cover.png", in / "cover_no_ext");
  // A standard MIDI file: header chunk + one empty track.
  testing::write_bytes((in / "song.mid").string(),
                       std::string("MThd\0\0\0\6\0\0\0\1\0\x60MTrk\0\0\0\4\0\xff\x2f\0", 26));
  testing::write_bytes((in / "transcript.txt").string(), "HELLO WORLD\n");
  fs::create_directories(in / ".git");
  testing::write_bytes((in / ".git/HEAD").string(), "ref: refs/heads/main\n");
  fs::create_directory_symlink(in, in / "loop");
  const PrepareResult r = prepare_dataset(cfg);
  EXPECT_EQ(r.usable(), 1);
  // Ignored, with reasons.
  EXPECT_EQ(reason_for(r.ignored, "._ok.wav"), "AppleDouble metadata file (macOS resource fork)");
  EXPECT_EQ(reason_for(r.ignored, ".DS_Store"), "macOS folder metadata (.DS_Store)");
  EXPECT_EQ(reason_for(r.ignored, ".git/"), "hidden folder (not searched)");
  EXPECT_EQ(reason_for(r.ignored, "loop/"), "symlink to a folder (not followed)");
  for (const char* p : {"cover.png", "cover_no_ext", "song.mid", "transcript.txt"}) {
    EXPECT_EQ(reason_for(r.ignored, p).rfind("not audio", 0), 0u)
        << p << ": " << reason_for(r.ignored, p);
  }
  EXPECT_NE(reason_for(r.ignored, "cover.png").find("no audio stream"), std::string::npos);
  // An image named like audio is a broken audio file the user wants to hear about: skipped.
  EXPECT_EQ(reason_for(r.skipped, "cover_png_named.wav").rfind("not audio", 0), 0u);
  EXPECT_EQ(r.ignored.size(), 8u);
  EXPECT_EQ(r.skipped.size(), 1u);
  EXPECT_EQ(r.found, 10);
  // The same lists in metadata.json.
  const DatasetMetadata m = read_metadata((fs::path(r.dataset_dir) / "metadata.json").string());
  EXPECT_EQ(m.found, 10);
  EXPECT_EQ(m.converted, 1);
  EXPECT_EQ(m.ignored.size(), 8u);
  EXPECT_EQ(m.skipped.size(), 1u);
  // A re-run probes nothing again and lists the same.
  const PrepareResult again = prepare_dataset(cfg);
  EXPECT_EQ(again.ignored.size(), 8u);
  EXPECT_EQ(again.found, 10);
}

// Issue 11: names that are not UTF-8 (Latin-1) get escaped output names; the original path is
// kept, escaped, in metadata.json; TSV and JSON are valid UTF-8 and lossless.
TEST(PrepareInputs, Latin1NamesRoundTripThroughTsvAndJson) {
  TempDir dir;
  const PrepareConfig cfg = config_for(dir);
  const fs::path in(cfg.input_dir);
  const std::string latin1_dir = "r\xE9pertoire";  // "répertoire" in Latin-1
  const std::string latin1_file = "caf\xE9 100%.wav";
  tone(in / latin1_dir / latin1_file);
  tone(in / "line\nbreak.wav");  // a newline once meant "skipped: tab or newline"
  PrepareResult r = prepare_dataset(cfg);
  EXPECT_EQ(r.converted, 2);
  EXPECT_TRUE(r.skipped.empty());
  const std::vector<std::string> paths = train_paths(cfg);
  EXPECT_EQ(paths,
            (std::vector<std::string>{"line%0Abreak.wav", "r%E9pertoire/caf%E9 100%25.wav"}));
  const std::string tsv = testing::read_bytes((fs::path(r.dataset_dir) / "train.tsv").string());
  EXPECT_TRUE(is_valid_utf8(tsv));
  for (const auto& p : paths) EXPECT_TRUE(fs::is_regular_file(audio_dir(cfg) / p)) << p;
  // metadata.json is valid UTF-8 (nlohmann-json parses it) and unescapes to the original bytes.
  const std::string meta_path = (fs::path(r.dataset_dir) / "metadata.json").string();
  const nlohmann::json j = nlohmann::json::parse(testing::read_bytes(meta_path));
  const nlohmann::json& renamed = j.at("files").at("renamed");
  ASSERT_EQ(renamed.size(), 2u);
  EXPECT_EQ(renamed.at(1).at("path"), "r%E9pertoire/caf%E9 100%25.wav");
  EXPECT_EQ(renamed.at(1).at("output"), "r%E9pertoire/caf%E9 100%25.wav");
  const DatasetMetadata m = read_metadata(meta_path);
  EXPECT_EQ(m.renamed[1].path, latin1_dir + "/" + latin1_file);
  EXPECT_TRUE(fs::is_regular_file(in / m.renamed[1].path));  // the source, found again
  // The state file keeps them apart too: a re-run reuses both.
  r = prepare_dataset(cfg);
  EXPECT_EQ(r.unchanged, 2);
}

// Issue 11: no single file stops the run, not even one whose output cannot be written where it
// belongs; the others are converted and it is listed with the reason.
TEST(PrepareInputs, ProblemsOfOneFileNeverStopTheRun) {
  TempDir dir;
  const PrepareConfig cfg = config_for(dir);
  const fs::path in(cfg.input_dir);
  tone(in / "a.wav");
  tone(in / "blocked" / "b.wav");
  tone(in / "z.wav");
  tone(in / "folder.wav");
  // A file that is not ours sits where the output folder "blocked/" must go, and a folder that
  // is not ours where the output "folder.wav" must go.
  fs::create_directories(audio_dir(cfg) / "folder.wav" / "theirs");
  testing::write_bytes((audio_dir(cfg) / "blocked").string(), "someone else's file");
  const PrepareResult r = prepare_dataset(cfg);
  EXPECT_EQ(r.usable(), 2);
  ASSERT_EQ(r.skipped.size(), 2u);
  EXPECT_EQ(r.skipped[0].path, "blocked/b.wav");
  EXPECT_NE(r.skipped[0].reason.find("cannot create output folder 'blocked'"), std::string::npos)
      << r.skipped[0].reason;
  EXPECT_EQ(r.skipped[1].path, "folder.wav");
  EXPECT_EQ(r.skipped[1].reason, "output path 'folder.wav' is an existing folder");
  EXPECT_TRUE(fs::is_directory(audio_dir(cfg) / "folder.wav" / "theirs"));
  EXPECT_EQ(testing::read_bytes((audio_dir(cfg) / "blocked").string()), "someone else's file");
}

// Resuming an interrupted run keeps the new names (hashed, escaped, disambiguated).
TEST(PrepareInputs, ResumeKeepsTheNewNames) {
  TempDir dir;
  const PrepareConfig cfg = config_for(dir);
  const fs::path in(cfg.input_dir);
  tone(in / "x.flac");
  tone(in / "x.oga");
  tone(in / "x.oga.flac");
  tone(in / (std::string(250, 'q') + ".wav"));
  tone(in / "caf\xE9.wav");
  ASSERT_EQ(prepare_dataset(cfg).converted, 5);
  const std::vector<std::string> names = train_paths(cfg);
  // What a run killed after two files leaves: two state rows, three outputs gone.
  const fs::path state = fs::path(cfg.output_dir) / "processed/odd/.prepare-state.tsv";
  const std::string text = testing::read_bytes(state.string());
  size_t cut = 0;
  for (int line = 0; line < 3; ++line) cut = text.find('\n', cut) + 1;
  testing::write_bytes(state.string(), text.substr(0, cut));
  int removed = 0;
  for (const auto& e : fs::directory_iterator(audio_dir(cfg))) {
    if (removed < 3) {
      fs::remove(e.path());
      ++removed;
    }
  }
  const PrepareResult r = prepare_dataset(cfg);
  EXPECT_EQ(r.usable(), 5);
  EXPECT_EQ(r.converted + r.unchanged, 5);
  EXPECT_GE(r.converted, 3);
  EXPECT_EQ(train_paths(cfg), names);
  for (const auto& p : names) EXPECT_TRUE(fs::is_regular_file(audio_dir(cfg) / p)) << p;
}

}  // namespace
}  // namespace xcodec::data
