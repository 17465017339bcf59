// Output names of `xcodec prepare`: escaping, shortening, collisions, stability.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "xcodec/data/prepare/output_names.h"
#include "xcodec/data/registry/name_escape.h"

namespace xcodec::data {
namespace {

TEST(OutputNames, StemsAndPlainNames) {
  EXPECT_EQ(file_stem("x.flac"), "x");
  EXPECT_EQ(file_stem("a.b.wav"), "a.b");
  EXPECT_EQ(file_stem("name."), "name");
  EXPECT_EQ(file_stem(".hidden.wav"), ".hidden");
  EXPECT_EQ(file_stem(".hidden"), ".hidden");
  EXPECT_EQ(file_stem("noext"), "noext");
  EXPECT_EQ(default_output_path("a/b c/x.flac", ".wav"), "a/b c/x.wav");
  EXPECT_EQ(default_output_path("trail.", ".wav"), "trail.wav");
  EXPECT_EQ(default_output_path("caf\xE9/t\tab 100%.mp3", ".flac"), "caf%E9/t%09ab 100%25.flac");
}

TEST(OutputNames, LongNamesAreShortenedDeterministicallyAndLeaveRoomForTemporaries) {
  const std::string long_stem(240, 'L');  // + ".wav" = 244 bytes, as in the issue
  const std::string source = long_stem + ".wav";
  const std::string out = default_output_path(source, ".wav");
  EXPECT_LE(out.size(), kMaxOutputNameBytes);
  // The writer's temporary name "<out>.tmp.<pid>.<n>" still fits NAME_MAX (255).
  EXPECT_LE(out.size() + std::string(".tmp.4194304.4294967295").size(), 255u);
  EXPECT_EQ(out.substr(0, 100), std::string(100, 'L'));
  EXPECT_EQ(out.substr(out.size() - 4), ".wav");
  EXPECT_NE(out.find('~'), std::string::npos);
  EXPECT_EQ(out, default_output_path(source, ".wav"));  // deterministic
  // Names differing only after the cut get different outputs.
  EXPECT_NE(out, default_output_path(long_stem + "X.wav", ".wav"));
  // Long folder names too, and a shortened name never ends inside an escape or a UTF-8
  // character.
  const std::string dir(250, 'D');
  const std::string nested = default_output_path(dir + "/" + dir + "/a.wav", ".wav");
  EXPECT_LE(nested.find('/'), kMaxOutputNameBytes);
  for (const std::string& raw :
       {std::string(300, '\xE9'),
        std::string(100, 'a') + "声音声音声音声音" + std::string(100, 'b')}) {
    for (size_t max = 20; max < 60; ++max) {
      const std::string c = output_component(raw, ".wav", max);
      ASSERT_LE(c.size(), max);
      ASSERT_TRUE(is_valid_utf8(c)) << c;
      const size_t tilde = c.rfind('~');
      ASSERT_NE(tilde, std::string::npos);
      const std::string prefix = c.substr(0, tilde);
      ASSERT_EQ(escape_name(raw).compare(0, prefix.size(), prefix), 0) << c;
    }
  }
}

TEST(OutputNames, SameStemDifferentExtensionsKeepBoth) {
  const std::vector<std::string> sources = {"a/x.flac", "a/x.oga", "a/x.oga.flac", "b", "b.wav"};
  const auto out = assign_output_names(sources, {}, ".wav");
  // Plain names first (in source order), then the whole file name, then a hashed name.
  EXPECT_EQ(out[0], "a/x.wav");
  EXPECT_EQ(out[2], "a/x.oga.wav");  // its plain name, kept although "a/x.oga" wanted it too
  EXPECT_EQ(out[1].substr(0, 4), "a/x~");
  EXPECT_EQ(out[1].size(), std::string("a/x~12345678.wav").size());
  EXPECT_EQ(out[3], "b.wav");
  EXPECT_EQ(out[4], "b.wav.wav");
  EXPECT_EQ(std::set<std::string>(out.begin(), out.end()).size(), out.size());
  EXPECT_EQ(assign_output_names(sources, {}, ".wav"), out);  // deterministic
}

TEST(OutputNames, NoFileTakesTheNameOfAnOutputFolder) {
  // "a.wav/" is a source folder; the file "a.flac" would otherwise become "a.wav" beside it.
  const auto out = assign_output_names({"a.flac", "a.wav/x.flac"}, {}, ".wav");
  EXPECT_EQ(out[1], "a.wav/x.wav");
  EXPECT_EQ(out[0], "a.flac.wav");
}

TEST(OutputNames, EarlierNamesAreKeptSoAddingFilesRenamesNothing) {
  // Run 1 had only x.oga (-> x.wav); run 2 adds x.aac and x.flac, which sort before it.
  const auto first = assign_output_names({"x.oga"}, {}, ".wav");
  ASSERT_EQ(first[0], "x.wav");
  const std::vector<std::string> now = {"x.aac", "x.flac", "x.oga"};
  const auto second = assign_output_names(now, {"", "", first[0]}, ".wav");
  EXPECT_EQ(second[2], "x.wav");
  EXPECT_EQ(second[0], "x.aac.wav");
  EXPECT_EQ(second[1], "x.flac.wav");
  // A previous name the rules could not give this source (another format, another folder, a
  // name from an older naming scheme) is not kept.
  const auto third = assign_output_names(now, {"x.flac", "y.wav", "caf\xE9.wav"}, ".wav");
  EXPECT_EQ(third[0], "x.wav");
  EXPECT_EQ(third[1], "x.flac.wav");
  EXPECT_EQ(third[2], "x.oga.wav");
  // A name of another source's rules is not kept.
  const auto fourth = assign_output_names(now, {"", "", second[0]}, ".wav");
  EXPECT_EQ(fourth[0], "x.wav");
  // An earlier name wins over a plain name that another source would now get first.
  const auto keep = assign_output_names({"x.a", "x.a.b", "x.b"}, {"", "", "x.wav"}, ".wav");
  EXPECT_EQ(keep[2], "x.wav");
  EXPECT_EQ(keep[1], "x.a.wav");
  EXPECT_EQ(keep[0].substr(0, 2), "x~");  // its whole-name form "x.a.wav" is taken as well
}

TEST(OutputNames, HashedNamesWhenTheWholeNameIsTakenToo) {
  // "x.oga" loses "x.wav" to "x.flac" and "x.oga.wav" to "x.oga.flac": a hashed name.
  const auto out = assign_output_names({"x.flac", "x.oga", "x.oga.flac"}, {}, ".wav");
  EXPECT_EQ(out[0], "x.wav");
  EXPECT_EQ(out[2], "x.oga.wav");
  ASSERT_EQ(out[1].size(), std::string("x~12345678.wav").size());
  EXPECT_EQ(out[1].substr(0, 2), "x~");
  // The hashed name is stable, and kept by a later run.
  EXPECT_EQ(assign_output_names({"x.flac", "x.oga", "x.oga.flac"}, {"", out[1], ""}, ".wav"), out);
}

}  // namespace
}  // namespace xcodec::data
