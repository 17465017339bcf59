// Safe extraction: hostile archives are refused and leave nothing behind, inside or outside.
#include "data/download/extract.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>

#include "audio/audio_test_util.h"
#include "data/download/download_test_util.h"
#include "support/test_support.h"
#include "xcodec/core/error.h"

namespace xcodec::data::download {
namespace {

namespace fs = std::filesystem;
using testing::ArchiveMember;
using Kind = testing::ArchiveMember::Kind;

std::set<std::string> tree(const fs::path& root) {
  std::set<std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    out.insert(it->path().lexically_relative(root).generic_string());
  }
  return out;
}

// Extracts `members` into <tmp>/box/target; expects a refusal naming `member`, and that the
// only thing under <tmp>/box is the (empty) target and the archive.
void expect_refused(const std::vector<ArchiveMember>& members, const std::string& member) {
  testing::TempDir dir;
  const fs::path box = dir.path() / "box";
  fs::create_directories(box / "target");
  const std::string tar = (box / "hostile.tar").string();
  testing::write_bytes(tar, testing::make_tar(members));
  try {
    extract_archive(tar, (box / "target").string());
    ADD_FAILURE() << "extracted a hostile archive";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("refusing to extract"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'" + member + "'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(tree(dir.path()), (std::set<std::string>{"box", "box/target", "box/hostile.tar"}));
}

TEST(DownloadExtract, RefusesDotDotMember) {
  expect_refused({{"ok.txt", "fine"}, {"../evil", "owned"}}, "../evil");
  expect_refused({{"a/../../evil", "owned"}}, "a/../../evil");
}

TEST(DownloadExtract, RefusesAbsoluteMember) { expect_refused({{"/tmp/evil", "x"}}, "/tmp/evil"); }

TEST(DownloadExtract, RefusesEscapingSymlink) {
  expect_refused({{"link", "", Kind::kSymlink, "../.."}, {"link/evil", "x"}}, "link");
  expect_refused({{"abs", "", Kind::kSymlink, "/etc"}}, "abs");
  expect_refused({{"d/up", "", Kind::kSymlink, "../../x"}}, "d/up");
}

TEST(DownloadExtract, RefusesEscapingHardlink) {
  expect_refused({{"hl", "", Kind::kHardlink, "../outside"}}, "hl");
  expect_refused({{"hl", "", Kind::kHardlink, "/etc/passwd"}}, "hl");
}

TEST(DownloadExtract, KeepsInnocentLinksAndMergesFolders) {
  testing::TempDir dir;
  const fs::path target = dir.path() / "out";
  const std::string a = (dir.path() / "a.tar.gz").string();
  const std::string b = (dir.path() / "b.tar").string();
  testing::write_bytes(a, testing::make_tar({{"Top/", "", Kind::kDir},
                                             {"Top/x/1.flac", "one"},
                                             {"Top/x/same", "", Kind::kSymlink, "1.flac"},
                                             {"Top/up", "", Kind::kSymlink, "../Top/x"},
                                             {"Top/hard", "", Kind::kHardlink, "Top/x/1.flac"}},
                                            /*gzip=*/true));
  testing::write_bytes(b, testing::make_tar({{"./Top/y/2.flac", "two"}}));
  EXPECT_EQ(extract_archive(a, target.string()).files, 4);
  EXPECT_EQ(extract_archive(b, target.string()).files, 1);
  EXPECT_EQ(testing::read_bytes((target / "Top/x/1.flac").string()), "one");
  EXPECT_EQ(testing::read_bytes((target / "Top/x/same").string()), "one");
  EXPECT_EQ(testing::read_bytes((target / "Top/hard").string()), "one");
  EXPECT_EQ(testing::read_bytes((target / "Top/y/2.flac").string()), "two");
  EXPECT_TRUE(fs::is_symlink(target / "Top/up"));
  EXPECT_EQ(tree(target).size(), 8u) << "no staging folder left";
}

TEST(DownloadExtract, WebDatasetShardGivesClipsNamedById) {
  testing::TempDir dir;
  const std::string shard = (dir.path() / "shard-000.tar").string();
  testing::write_bytes(shard, testing::make_tar({{"clip_001.flac", "A"},
                                                 {"clip_001.json", "{}"},
                                                 {"sub/clip_002.seg.mp3", "B"},
                                                 {"sub/clip_002.json", "{}"},
                                                 {"../clip_003.flac", "C"}}));
  EXPECT_THROW(extract_webdataset_audio(shard, (dir.path() / "bad").string()), IoError);
  EXPECT_TRUE(fs::is_empty(dir.path() / "bad"));
  testing::write_bytes(shard, testing::make_tar({{"clip_001.flac", "A"},
                                                 {"clip_001.json", "{}"},
                                                 {"sub/clip_002.seg.mp3", "B"},
                                                 {"sub/clip_002.json", "{}"}}));
  const ExtractResult r = extract_webdataset_audio(shard, (dir.path() / "clips").string());
  EXPECT_EQ(r.files, 2);
  EXPECT_EQ(r.skipped, 2);
  EXPECT_EQ(tree(dir.path() / "clips"),
            (std::set<std::string>{"clip_001.flac", "sub", "sub/clip_002.mp3"}));
}

TEST(DownloadExtract, ArchiveNames) {
  EXPECT_TRUE(is_archive_name("dev-clean.tar.gz"));
  EXPECT_TRUE(is_archive_name("x.zip"));
  EXPECT_TRUE(is_archive_name("shard-000.tar"));
  EXPECT_FALSE(is_archive_name("a.flac"));
  EXPECT_FALSE(is_archive_name(".tar"));
}

}  // namespace
}  // namespace xcodec::data::download
