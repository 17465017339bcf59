// The prepare pipeline as a library: discovery, conversion, splits, re-runs, failure modes.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "audio/audio_test_util.h"
#include "data/prepare/prepare_test_util.h"
#include "support/test_support.h"
#include "xcodec/audio/audio.h"
#include "xcodec/audio/audio_extensions.h"
#include "xcodec/core/error.h"
#include "xcodec/data/prepare/find_audio.h"
#include "xcodec/data/prepare/prepare.h"
#include "xcodec/data/registry/metadata.h"
#include "xcodec/data/registry/registry.h"

namespace xcodec::data {
namespace {

namespace fs = std::filesystem;
using xcodec::testing::TempDir;

using testing::write_tone;

PrepareConfig config_for(const TempDir& dir) { return testing::quiet_config(dir, "unit"); }

std::vector<std::string> paths_of(const std::vector<SplitEntry>& v) {
  std::vector<std::string> out;
  for (const auto& e : v) out.push_back(e.relative_path);
  return out;
}

std::string reason_for(const std::vector<SkippedFile>& skipped, const std::string& path) {
  for (const auto& s : skipped) {
    if (s.path == path) return s.reason;
  }
  return "<not skipped>";
}

TEST(FindAudioFiles, WalksWithoutFollowingDirectoryLinks) {
  TempDir dir;
  const fs::path in = dir.path() / "in";
  write_tone(in / "a" / "b" / "deep.wav", 8000, 0.2);
  write_tone(in / "top.flac", 8000, 0.2, audio::kFlac16);
  xcodec::testing::write_bytes((in / "notes.txt").string(), "text");
  xcodec::testing::write_bytes((in / ".hidden.wav").string(), "x");
  xcodec::testing::write_bytes((in / "._top.flac").string(), "apple double");
  xcodec::testing::write_bytes((in / ".DS_Store").string(), "finder");
  fs::create_directories(in / ".git" / "objects");
  xcodec::testing::write_bytes((in / ".git" / "objects" / "x.wav").string(), "x");
  fs::create_directories(in / "__MACOSX");
  fs::create_directory_symlink(in, in / "a" / "loop");        // a loop back to the root
  fs::create_symlink(in / "top.flac", in / "link.flac");      // file links are followed
  fs::create_symlink(in / "missing.wav", in / "broken.wav");  // dangling
  fs::create_symlink(in / "self.wav", in / "self.wav");       // a link to itself
  const FoundFiles found = find_audio_files(in.string());
  std::vector<std::string> rel;
  for (const auto& f : found.files) rel.push_back(f.relative_path);
  // Names do not decide what is audio: every regular file is a candidate.
  EXPECT_EQ(rel, (std::vector<std::string>{".hidden.wav", "a/b/deep.wav", "link.flac", "notes.txt",
                                           "top.flac"}));
  EXPECT_EQ(found.dir_symlinks, (std::vector<std::string>{"a/loop"}));
  EXPECT_TRUE(found.unreadable.empty());
  std::vector<std::string> ignored;
  for (const auto& f : found.ignored) ignored.push_back(f.path + ": " + f.reason);
  EXPECT_EQ(ignored, (std::vector<std::string>{
                         ".DS_Store: macOS folder metadata (.DS_Store)",
                         "._top.flac: AppleDouble metadata file (macOS resource fork)",
                         ".git/: hidden folder (not searched)",
                         "__MACOSX/: macOS archive metadata folder (not searched)",
                         "a/loop/: symlink to a folder (not followed)",
                         "broken.wav: broken symlink",
                         "self.wav: symlink loop",
                     }));
  EXPECT_GT(found.files[1].size, 44);
  EXPECT_GT(found.files[1].mtime_ns, 0);
  EXPECT_THROW(find_audio_files((dir.path() / "nope").string()), IoError);
  EXPECT_TRUE(audio::has_audio_extension("X.FLAC"));
  EXPECT_FALSE(audio::has_audio_extension("wav"));
  EXPECT_EQ(junk_reason("Thumbs.db", false), "Windows folder metadata (Thumbs.db)");
  EXPECT_EQ(junk_reason(".hidden.wav", false), "");
  EXPECT_EQ(junk_reason("._x.wav", false), "AppleDouble metadata file (macOS resource fork)");
}

TEST(PrepareDataset, ConvertsSplitsAndRegisters) {
  TempDir dir;
  const fs::path in = dir.path() / "in";
  write_tone(in / "train" / "spk1" / "a.wav", 22050, 1.0);
  write_tone(in / "dev-clean" / "b.flac", 44100, 0.5, audio::kFlac16);
  write_tone(in / "test" / "c.wav", 8000, 0.75);
  write_tone(in / "misc" / "d.wav", 16000, 0.3);       // hash rule (fractions 0 -> train)
  write_tone(in / "misc" / "short.wav", 16000, 0.05);  // under --min-seconds
  write_tone(in / "misc" / "dup.wav", 16000, 0.3);
  write_tone(in / "misc" / "dup.flac", 16000, 0.3, audio::kFlac16);  // same stem: both kept
  xcodec::testing::write_bytes((in / "misc" / "empty.wav").string(), "");
  xcodec::testing::write_bytes((in / "misc" / "readme.txt").string(), "hello");
  const PrepareConfig cfg = config_for(dir);
  const PrepareResult r = prepare_dataset(cfg);

  EXPECT_EQ(r.found, 9);      // every input file is accounted for ...
  EXPECT_EQ(r.converted, 6);  // a, b, c, d, dup.flac, dup.wav
  EXPECT_EQ(r.unchanged, 0);
  EXPECT_EQ(r.found, r.usable() + static_cast<int64_t>(r.skipped.size() + r.ignored.size()));
  ASSERT_EQ(r.ignored.size(), 1u);  // ... readme.txt, by content
  EXPECT_EQ(r.ignored[0].path, "misc/readme.txt");
  EXPECT_NE(r.ignored[0].reason.find("not audio"), std::string::npos);
  EXPECT_EQ(r.splits[0].files, 4);  // a, d, dup x2
  EXPECT_EQ(r.splits[1].files, 1);
  EXPECT_EQ(r.splits[2].files, 1);
  EXPECT_TRUE(r.registered);
  ASSERT_EQ(r.skipped.size(), 2u);
  EXPECT_NE(reason_for(r.skipped, "misc/empty.wav").find("empty file"), std::string::npos);
  EXPECT_NE(reason_for(r.skipped, "misc/short.wav").find("too short"), std::string::npos);
  const DatasetRegistry reg = DatasetRegistry::load(cfg.output_dir);
  const DatasetEntry& e = reg.entry("unit");
  EXPECT_EQ(e.path, "processed/unit");
  EXPECT_EQ(e.sample_rate, 16000);
  EXPECT_EQ(e.audio_format, "wav");
  EXPECT_EQ(e.stats.train_samples, 4);
  EXPECT_EQ(e.stats.val_samples, 1);
  EXPECT_EQ(e.stats.test_samples, 1);

  const auto train = read_split_tsv(reg.split_path("unit", Split::kTrain));
  EXPECT_EQ(paths_of(train), (std::vector<std::string>{"misc/d.wav", "misc/dup.wav",
                                                       "misc/dup.wav.wav", "train/spk1/a.wav"}));
  EXPECT_EQ(train[3].num_samples, 16000);
  const auto val = read_split_tsv(reg.split_path("unit", Split::kVal));
  ASSERT_EQ(val.size(), 1u);
  EXPECT_EQ(val[0].relative_path, "dev-clean/b.wav");
  EXPECT_EQ(val[0].num_samples, 8000);
  const audio::Audio b =
      audio::read_audio((fs::path(reg.audio_dir("unit")) / "dev-clean/b.wav").string());
  EXPECT_EQ(b.sample_rate, 16000);
  EXPECT_EQ(b.samples.size(), 8000u);
  EXPECT_EQ(audio::probe_audio((fs::path(reg.audio_dir("unit")) / "test/c.wav").string()).codec,
            "pcm_s16le");

  const DatasetMetadata m = read_metadata(reg.metadata_path("unit"));
  EXPECT_EQ(m.name, "unit");
  EXPECT_EQ(m.splits[0].files, 4);
  EXPECT_NEAR(m.splits[0].hours, (16000 + 3 * 4800) / 16000.0 / 3600.0, 1e-9);
  EXPECT_EQ(m.skipped.size(), 2u);
  EXPECT_EQ(m.ignored.size(), 1u);
  EXPECT_EQ(m.found, 9);
  EXPECT_EQ(m.converted, 6);
  ASSERT_EQ(m.renamed.size(), 1u);  // dup.flac took misc/dup.wav (first in byte order)
  EXPECT_EQ(m.renamed[0].path, "misc/dup.wav");
  EXPECT_EQ(m.renamed[0].output, "misc/dup.wav.wav");
  EXPECT_FALSE(m.created.empty());
  EXPECT_EQ(m.source_dir, fs::absolute(in).lexically_normal().string());
}

TEST(PrepareDataset, RerunsAreIncrementalAndCleanUp) {
  TempDir dir;
  const fs::path in = dir.path() / "in";
  for (int i = 0; i < 4; ++i) write_tone(in / ("f" + std::to_string(i) + ".wav"), 16000, 0.3);
  PrepareConfig cfg = config_for(dir);
  EXPECT_EQ(prepare_dataset(cfg).converted, 4);
  const fs::path audio_dir = fs::path(cfg.output_dir) / "processed/unit/audio";
  const std::string created =
      read_metadata((audio_dir.parent_path() / "metadata.json").string()).created;

  // Unchanged: nothing converted; a leftover temporary file of an interrupted run disappears.
  xcodec::testing::write_bytes((audio_dir / "f0.wav.tmp.123.4").string(), "partial");
  PrepareResult r = prepare_dataset(cfg);
  EXPECT_EQ(r.converted, 0);
  EXPECT_EQ(r.unchanged, 4);
  EXPECT_FALSE(fs::exists(audio_dir / "f0.wav.tmp.123.4"));

  // A changed source is converted again; a deleted one loses its output; a lost output is redone.
  write_tone(in / "f1.wav", 16000, 0.6);
  fs::remove(in / "f2.wav");
  fs::remove(audio_dir / "f3.wav");
  r = prepare_dataset(cfg);
  EXPECT_EQ(r.converted, 2);  // f1 (changed), f3 (output missing)
  EXPECT_EQ(r.unchanged, 1);
  EXPECT_EQ(r.removed_stale, 1);
  EXPECT_FALSE(fs::exists(audio_dir / "f2.wav"));
  const auto train = read_split_tsv((audio_dir.parent_path() / "train.tsv").string());
  ASSERT_EQ(train.size(), 3u);
  EXPECT_EQ(train[1].relative_path, "f1.wav");
  EXPECT_EQ(train[1].num_samples, 9600);
  EXPECT_EQ(read_metadata((audio_dir.parent_path() / "metadata.json").string()).created, created);

  // Tighter duration limits exclude without converting; loosening them brings files back.
  cfg.max_seconds = 0.5;
  r = prepare_dataset(cfg);
  EXPECT_EQ(r.converted, 0);
  EXPECT_EQ(r.usable(), 2);
  EXPECT_NE(reason_for(r.skipped, "f1.wav").find("too long"), std::string::npos);
  cfg.max_seconds = 0;
  EXPECT_EQ(prepare_dataset(cfg).usable(), 3);

  // Another format converts everything again and removes the old outputs.
  cfg.format = "flac";
  r = prepare_dataset(cfg);
  EXPECT_EQ(r.converted, 3);
  EXPECT_EQ(r.removed_stale, 3);
  EXPECT_TRUE(fs::exists(audio_dir / "f0.flac"));
  EXPECT_FALSE(fs::exists(audio_dir / "f0.wav"));
  EXPECT_EQ(DatasetRegistry::load(cfg.output_dir).entry("unit").audio_format, "flac");
}

TEST(PrepareDataset, ResumesFromACheckpointOfAnInterruptedRun) {
  TempDir dir;
  const fs::path in = dir.path() / "in";
  for (int i = 0; i < 6; ++i) write_tone(in / "s" / ("f" + std::to_string(i) + ".wav"), 16000, 0.3);
  const PrepareConfig cfg = config_for(dir);
  ASSERT_EQ(prepare_dataset(cfg).converted, 6);
  // Recreate what a run killed after two files leaves behind: a state checkpoint with two rows,
  // two outputs, and a half-written temporary file of the third.
  const fs::path dataset = fs::path(cfg.output_dir) / "processed/unit";
  const std::string state = xcodec::testing::read_bytes((dataset / ".prepare-state.tsv").string());
  size_t cut = 0;
  for (int line = 0; line < 3; ++line) cut = state.find('\n', cut) + 1;  // header + 2 rows
  xcodec::testing::write_bytes((dataset / ".prepare-state.tsv").string(), state.substr(0, cut));
  for (int i = 2; i < 6; ++i) fs::remove(dataset / "audio/s" / ("f" + std::to_string(i) + ".wav"));
  xcodec::testing::write_bytes((dataset / "audio/s/f2.wav.tmp.999.0").string(), "RIFF");
  fs::remove(dataset / "train.tsv");

  const PrepareResult r = prepare_dataset(cfg);
  EXPECT_EQ(r.unchanged, 2);
  EXPECT_EQ(r.converted, 4);
  EXPECT_EQ(r.usable(), 6);
  EXPECT_FALSE(fs::exists(dataset / "audio/s/f2.wav.tmp.999.0"));
  EXPECT_EQ(read_split_tsv((dataset / "train.tsv").string()).size(), 6u);
  // A damaged state file costs re-conversion, never a failure.
  xcodec::testing::write_bytes((dataset / ".prepare-state.tsv").string(), "garbage\n\t\t\n");
  EXPECT_EQ(prepare_dataset(cfg).converted, 6);
}

TEST(PrepareDataset, NothingUsableThrowsAndDoesNotRegister) {
  TempDir dir;
  const fs::path in = dir.path() / "in";
  fs::create_directories(in);
  xcodec::testing::write_bytes((in / "a.wav").string(), "not audio at all, just text\n");
  xcodec::testing::write_bytes((in / "b.mp3").string(), "");
  const PrepareConfig cfg = config_for(dir);
  try {
    prepare_dataset(cfg);
    ADD_FAILURE() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("no usable audio"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(fs::path(cfg.output_dir) / "datasets.json"));
  const DatasetMetadata m =
      read_metadata((fs::path(cfg.output_dir) / "processed/unit/metadata.json").string());
  EXPECT_EQ(m.skipped.size(), 2u);
}

TEST(PrepareDataset, StrictFailsAfterRegisteringAndConfigIsValidated) {
  TempDir dir;
  const fs::path in = dir.path() / "in";
  write_tone(in / "ok.wav", 16000, 0.3);
  xcodec::testing::write_bytes((in / "bad.wav").string(), "garbage garbage garbage");
  PrepareConfig cfg = config_for(dir);
  cfg.strict = true;
  EXPECT_THROW(prepare_dataset(cfg), Error);
  EXPECT_TRUE(DatasetRegistry::load(cfg.output_dir).contains("unit"));
  cfg.strict = false;
  EXPECT_EQ(prepare_dataset(cfg).usable(), 1);

  PrepareConfig bad = config_for(dir);
  bad.val_fraction = 0.7;
  bad.test_fraction = 0.4;
  EXPECT_THROW(prepare_dataset(bad), ConfigError);
  bad = config_for(dir);
  bad.format = "mp3";
  EXPECT_THROW(prepare_dataset(bad), ConfigError);
  bad = config_for(dir);
  bad.dataset = "../x";
  EXPECT_THROW(prepare_dataset(bad), ConfigError);
}

TEST(PrepareDataset, OutputInsideInputIsNotReingested) {
  TempDir dir;
  const fs::path in = dir.path() / "in";
  write_tone(in / "a.wav", 16000, 0.3);
  PrepareConfig cfg = config_for(dir);
  cfg.output_dir = (in / "data").string();
  EXPECT_EQ(prepare_dataset(cfg).usable(), 1);
  const PrepareResult r = prepare_dataset(cfg);
  EXPECT_EQ(r.usable(), 1);
  EXPECT_EQ(r.unchanged, 1);
  EXPECT_EQ(reason_for(r.ignored, "data/processed/"), "the output folder (not searched)");
}

}  // namespace
}  // namespace xcodec::data
