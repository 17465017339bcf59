// The split rule of `prepare`: folder names first, else a stable hash of the path.
#include <string>
#include <vector>

#include "support/test_support.h"
#include "xcodec/data/prepare/split_rule.h"

namespace xcodec::data {
namespace {

TEST(SplitRule, Fnv1aMatchesReferenceValues) {
  // Published FNV-1a 64-bit test vectors.
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ULL);
}

TEST(SplitRule, FolderNamesDecide) {
  EXPECT_EQ(split_from_folder_name("train-clean-100"), Split::kTrain);
  EXPECT_EQ(split_from_folder_name("train"), Split::kTrain);
  EXPECT_EQ(split_from_folder_name("Training"), Split::kTrain);
  EXPECT_EQ(split_from_folder_name("dev-clean"), Split::kVal);
  EXPECT_EQ(split_from_folder_name("DEV"), Split::kVal);
  EXPECT_EQ(split_from_folder_name("val"), Split::kVal);
  EXPECT_EQ(split_from_folder_name("valid_2"), Split::kVal);
  EXPECT_EQ(split_from_folder_name("validation"), Split::kVal);
  EXPECT_EQ(split_from_folder_name("test-other"), Split::kTest);
  EXPECT_EQ(split_from_folder_name("testing"), Split::kTest);
  EXPECT_EQ(split_from_folder_name("test.1"), Split::kTest);
  // Words that merely start with a split word do not count.
  EXPECT_FALSE(split_from_folder_name("devices").has_value());
  EXPECT_FALSE(split_from_folder_name("testimonials").has_value());
  EXPECT_FALSE(split_from_folder_name("trainer").has_value());
  EXPECT_FALSE(split_from_folder_name("value").has_value());
  EXPECT_FALSE(split_from_folder_name("speaker01").has_value());

  EXPECT_EQ(split_from_path("LibriSpeech/dev-clean/84/121123/84-121123-0000.flac"), Split::kVal);
  EXPECT_EQ(split_from_path("LibriSpeech/test-clean/1089/1.flac"), Split::kTest);
  // The outermost naming folder wins; the file name never decides.
  EXPECT_EQ(split_from_path("train/test/x.wav"), Split::kTrain);
  EXPECT_FALSE(split_from_path("speakers/test.wav").has_value());
  EXPECT_FALSE(split_from_path("test.wav").has_value());
  EXPECT_EQ(assign_split("dev/x.wav", 0.0, 0.0), Split::kVal);
}

TEST(SplitRule, HashSplitIsStableProportionalAndIgnoresExtension) {
  int counts[3] = {0, 0, 0};
  constexpr int kFiles = 20000;
  for (int i = 0; i < kFiles; ++i) {
    const std::string p = "spk" + std::to_string(i % 97) + "/utt_" + std::to_string(i) + ".wav";
    const Split s = hash_split(p, 0.05, 0.02);
    ++counts[static_cast<int>(s)];
    EXPECT_EQ(s, assign_split(p, 0.05, 0.02));
    // Same decision whatever the extension (a re-encoded corpus keeps its splits).
    EXPECT_EQ(s, hash_split("spk" + std::to_string(i % 97) + "/utt_" + std::to_string(i) + ".flac",
                            0.05, 0.02));
  }
  EXPECT_NEAR(counts[1] / double(kFiles), 0.05, 0.01);
  EXPECT_NEAR(counts[2] / double(kFiles), 0.02, 0.006);
  // Zero fractions: everything is train.
  EXPECT_EQ(hash_split("anything.wav", 0.0, 0.0), Split::kTrain);
  // A fixed path always lands in the same split (documented behaviour, pinned here).
  const Split pinned = hash_split("speaker/a.wav", 0.5, 0.25);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(hash_split("speaker/a.wav", 0.5, 0.25), pinned);
  // Neighbouring names in one folder are spread, not clustered in one split.
  int mixed_folders = 0;
  for (int f = 0; f < 100; ++f) {
    bool seen[3] = {false, false, false};
    for (int u = 0; u < 10; ++u) {
      seen[static_cast<int>(hash_split(
          "spk" + std::to_string(f) + "/utt_0" + std::to_string(u) + ".wav", 0.3, 0.3))] = true;
    }
    mixed_folders += (seen[0] + seen[1] + seen[2]) >= 2;
  }
  EXPECT_GE(mixed_folders, 95);
  // Dots in folder names are not extensions.
  EXPECT_EQ(hash_split("v1.2/a", 0.3, 0.3), hash_split("v1.2/a.mp3", 0.3, 0.3));
}

}  // namespace
}  // namespace xcodec::data
