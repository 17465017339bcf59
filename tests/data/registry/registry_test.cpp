// datasets.json, metadata.json and split TSV readers/writers.
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "audio/audio_test_util.h"
#include "support/test_support.h"
#include "xcodec/core/error.h"
#include "xcodec/data/registry/metadata.h"
#include "xcodec/data/registry/registry.h"
#include "xcodec/data/registry/split_tsv.h"

namespace xcodec::data {
namespace {

namespace fs = std::filesystem;
using xcodec::testing::TempDir;

template <typename E, typename Fn>
void expect_error_with(Fn fn, const std::vector<std::string>& fragments) {
  try {
    fn();
    ADD_FAILURE() << "expected an exception containing '" << fragments.front() << "'";
  } catch (const E& e) {
    for (const auto& f : fragments) {
      EXPECT_NE(std::string(e.what()).find(f), std::string::npos)
          << "message '" << e.what() << "' lacks '" << f << "'";
    }
  }
}

TEST(SplitTsv, RoundTripsPathsWithSpacesAndUnicode) {
  TempDir dir;
  const std::string path = (dir.path() / "train.tsv").string();
  const std::vector<SplitEntry> in = {
      {"a/b c/d.wav", 16000}, {"ünï/çødé 声音.wav", 0}, {"x.flac", 123456789012}};
  write_split_tsv(path, in);
  EXPECT_EQ(xcodec::testing::read_bytes(path),
            "a/b c/d.wav\t16000\nünï/çødé 声音.wav\t0\nx.flac\t123456789012\n");
  const std::vector<SplitEntry> out = read_split_tsv(path);
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].relative_path, in[i].relative_path);
    EXPECT_EQ(out[i].num_samples, in[i].num_samples);
  }
  write_split_tsv(path, {});
  EXPECT_TRUE(read_split_tsv(path).empty());
}

TEST(SplitTsv, RejectsMalformedLinesNamingFileAndLine) {
  TempDir dir;
  const std::string path = (dir.path() / "val.tsv").string();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"ok.wav\t10\nno-tab-here\n", "line 2"}, {"a.wav\t-5\n", "num-samples"},
      {"a.wav\t12x\n", "num-samples"},         {"../escape.wav\t10\n", "'..'"},
      {"/abs.wav\t10\n", "absolute"},
  };
  for (const auto& [text, fragment] : cases) {
    xcodec::testing::write_bytes(path, text);
    expect_error_with<IoError>([&] { read_split_tsv(path); }, {path, fragment});
  }
  xcodec::testing::write_bytes(path, "a.wav\t10\r\n\nb.wav\t20\n");  // CRLF and blank lines
  EXPECT_EQ(read_split_tsv(path).size(), 2u);
  expect_error_with<IoError>(
      [&] {
        write_split_tsv(path, {{"tab\tname.wav", 1}});
      },
      {"tab or newline"});
  expect_error_with<IoError>([&] { read_split_tsv((dir.path() / "none.tsv").string()); },
                             {"none.tsv"});
  EXPECT_EQ(parse_split("dev"), Split::kVal);
  EXPECT_THROW(parse_split("holdout"), ConfigError);
}

TEST(DatasetMetadata, RoundTrips) {
  TempDir dir;
  const std::string path = (dir.path() / "metadata.json").string();
  DatasetMetadata m;
  m.name = "demo";
  m.sample_rate = 16000;
  m.audio_format = "flac";
  m.source_dir = "/corpus/ü";
  m.created = "2026-01-01T00:00:00Z";
  m.updated = "2026-01-02T00:00:00Z";
  m.xcodec_version = "0.1.0";
  m.val_fraction = 0.05;
  m.test_fraction = 0.02;
  m.min_seconds = 0.5;
  m.max_seconds = 30;
  m.splits[0] = {10, 160000, 160000.0 / 16000 / 3600};
  m.splits[2] = {1, 16000, 16000.0 / 16000 / 3600};
  m.skipped = {{"bad one.wav", "empty file"}, {"x/y.mp3", "truncated"}};
  write_metadata(path, m);
  const DatasetMetadata r = read_metadata(path);
  EXPECT_EQ(r.name, m.name);
  EXPECT_EQ(r.sample_rate, 16000);
  EXPECT_EQ(r.audio_format, "flac");
  EXPECT_EQ(r.source_dir, m.source_dir);
  EXPECT_EQ(r.created, m.created);
  EXPECT_EQ(r.updated, m.updated);
  EXPECT_DOUBLE_EQ(r.val_fraction, 0.05);
  EXPECT_DOUBLE_EQ(r.max_seconds, 30);
  EXPECT_EQ(r.splits[0].files, 10);
  EXPECT_EQ(r.splits[0].samples, 160000);
  EXPECT_EQ(r.splits[1].files, 0);
  EXPECT_EQ(r.splits[2].files, 1);
  ASSERT_EQ(r.skipped.size(), 2u);
  EXPECT_EQ(r.skipped[1].path, "x/y.mp3");
  EXPECT_EQ(r.skipped[1].reason, "truncated");

  xcodec::testing::write_bytes(path, R"({"name": "x", "sample_rate": "fast"})");
  expect_error_with<IoError>([&] { read_metadata(path); }, {path, "sample_rate"});
  xcodec::testing::write_bytes(path, "{not json");
  expect_error_with<IoError>([&] { read_metadata(path); }, {path, "invalid JSON"});
}

DatasetEntry make_entry(const std::string& name, int64_t train) {
  DatasetEntry e;
  e.name = name;
  e.path = "processed/" + name;
  e.sample_rate = 16000;
  e.audio_format = "wav";
  e.stats.train_samples = train;
  e.stats.val_samples = 2;
  e.stats.test_samples = 3;
  e.stats.train_hours = 1.5;
  return e;
}

TEST(DatasetRegistry, UpdateLoadAndPaths) {
  TempDir dir;
  const std::string data = (dir.path() / "data").string();
  EXPECT_TRUE(DatasetRegistry::load(data).names().empty());  // missing file = empty
  DatasetRegistry::update(data, make_entry("libri", 100));
  DatasetRegistry::update(data, make_entry("emilia", 7));
  DatasetRegistry::update(data, make_entry("libri", 101));  // replaces
  const DatasetRegistry reg = DatasetRegistry::load(data);
  EXPECT_EQ(reg.names(), (std::vector<std::string>{"emilia", "libri"}));
  const DatasetEntry& e = reg.entry("libri");
  EXPECT_EQ(e.stats.train_samples, 101);
  EXPECT_EQ(e.stats.val_samples, 2);
  EXPECT_EQ(e.stats.test_samples, 3);
  EXPECT_DOUBLE_EQ(e.stats.train_hours, 1.5);
  EXPECT_EQ(e.sample_rate, 16000);
  EXPECT_EQ(e.audio_format, "wav");
  EXPECT_EQ(fs::path(reg.audio_dir("libri")), fs::path(data) / "processed/libri/audio");
  EXPECT_EQ(fs::path(reg.split_path("libri", Split::kVal)),
            fs::path(data) / "processed/libri/val.tsv");
  expect_error_with<ConfigError>([&] { reg.entry("missing"); }, {"missing", "emilia, libri"});

  // The file on disk has the documented layout.
  const std::string text = xcodec::testing::read_bytes((fs::path(data) / "datasets.json").string());
  EXPECT_NE(text.find("\"datasets\""), std::string::npos);
  EXPECT_NE(text.find("\"train_samples\": 101"), std::string::npos);

  DatasetRegistry::remove(data, "emilia");
  EXPECT_EQ(DatasetRegistry::load(data).names(), (std::vector<std::string>{"libri"}));
  for (const auto& e2 : fs::directory_iterator(data)) {
    EXPECT_EQ(e2.path().string().find(".tmp."), std::string::npos) << e2.path();
  }
}

TEST(DatasetRegistry, RejectsBadNamesAndMalformedFiles) {
  TempDir dir;
  for (const char* bad : {"", ".hidden", "a/b", "with space", "x\ty"}) {
    EXPECT_THROW(validate_dataset_name(bad), ConfigError) << bad;
    EXPECT_THROW(DatasetRegistry::update(dir.str(), make_entry(bad, 1)), ConfigError) << bad;
  }
  validate_dataset_name("LibriSpeech-960_v1.2");
  const std::string file = (dir.path() / "datasets.json").string();
  xcodec::testing::write_bytes(file, R"({"datasets": {"a": {"path": "p", "sample_rate": 16000}}})");
  expect_error_with<IoError>([&] { DatasetRegistry::load(dir.str()); },
                             {file, "datasets.a.audio_format"});
  xcodec::testing::write_bytes(file, "[1, 2]");
  expect_error_with<IoError>([&] { DatasetRegistry::load(dir.str()); }, {file});
  // An update never silently replaces a registry it cannot parse.
  EXPECT_THROW(DatasetRegistry::update(dir.str(), make_entry("a", 1)), IoError);
  EXPECT_EQ(xcodec::testing::read_bytes(file), "[1, 2]");
}

TEST(DatasetRegistry, ConcurrentUpdatesKeepEveryEntry) {
  TempDir dir;
  const std::string data = dir.str();
  constexpr int kThreads = 8;
  constexpr int kRounds = 5;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        DatasetRegistry::update(data, make_entry("set" + std::to_string(t), r));
      }
    });
  }
  for (auto& t : threads) t.join();
  const DatasetRegistry reg = DatasetRegistry::load(data);
  ASSERT_EQ(reg.names().size(), static_cast<size_t>(kThreads));
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(reg.entry("set" + std::to_string(t)).stats.train_samples, kRounds - 1);
  }
}

}  // namespace
}  // namespace xcodec::data
