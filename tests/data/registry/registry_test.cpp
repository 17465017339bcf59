// datasets.json, metadata.json and split TSV readers/writers.
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "audio/audio_test_util.h"
#include "support/test_support.h"
#include "xcodec/core/error.h"
#include "xcodec/data/registry/metadata.h"
#include "xcodec/data/registry/name_escape.h"
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

  // The file on disk has the documented layout (see DatasetRegistry, DocumentedTopLevelLayout).
  const std::string text = xcodec::testing::read_bytes((fs::path(data) / "datasets.json").string());
  EXPECT_EQ(text.find("\"datasets\""), std::string::npos);
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

// Found by bench/fuzz/fuzz_registry (UBSan): nlohmann-json casts any number to the integer
// type asked for, so 1e40 was undefined behaviour and 16000.5 or 2^32 + 16000 became another
// integer; datasets.json and metadata.json now name the key instead.
TEST(DatasetRegistry, IntegerKeysMustBeIntegersInRange) {
  TempDir dir;
  const std::string file = (dir.path() / "datasets.json").string();
  for (const char* rate : {"1e40", "16000.5", "4294983296", "-1e300"}) {
    xcodec::testing::write_bytes(file, std::string(R"({"a": {"path": "p", "sample_rate": )") +
                                           rate + R"(, "audio_format": "wav"}})");
    expect_error_with<IoError>([&] { DatasetRegistry::load(dir.str()); },
                               {file, "key 'a.sample_rate' must be an integer in"});
  }
  const std::string meta = (dir.path() / "metadata.json").string();
  xcodec::testing::write_bytes(meta, R"({"name": "a", "sample_rate": 16000, "audio_format": "wav",)"
                                     R"( "splits": {"train": {"files": 1e30, "samples": 1,)"
                                     R"( "hours": 0.5}}})");
  expect_error_with<IoError>([&] { read_metadata(meta); },
                             {meta, "key 'splits.train.files' must be an integer in"});
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

// The layout of the original X-Codec-2.0 registry: the file is a mapping from name to entry.
TEST(DatasetRegistry, DocumentedTopLevelLayout) {
  TempDir dir;
  DatasetEntry e;
  e.name = "librispeech";
  e.path = "processed/librispeech";
  e.sample_rate = 16000;
  e.audio_format = "wav";
  e.stats.train_samples = 281241;
  e.stats.val_samples = 5567;
  e.stats.test_samples = 5559;
  DatasetRegistry::update(dir.str(), e);
  const nlohmann::json j =
      nlohmann::json::parse(xcodec::testing::read_bytes((dir.path() / "datasets.json").string()));
  ASSERT_TRUE(j.is_object());
  ASSERT_EQ(j.size(), 1u) << j.dump();  // nothing but the entry: no wrapper, no version key
  const nlohmann::json& entry = j.at("librispeech");
  EXPECT_EQ(entry.at("path"), "processed/librispeech");
  EXPECT_EQ(entry.at("sample_rate"), 16000);
  EXPECT_EQ(entry.at("audio_format"), "wav");
  EXPECT_EQ(entry.at("stats").at("train_samples"), 281241);
  EXPECT_EQ(entry.at("stats").at("val_samples"), 5567);
  EXPECT_EQ(entry.at("stats").at("test_samples"), 5559);

  // A registry written by hand (or by the original tools) in that layout loads; a dataset may
  // even be called "datasets".
  xcodec::testing::write_bytes((dir.path() / "datasets.json").string(), R"({
    "librispeech": {"path": "processed/librispeech", "sample_rate": 16000, "audio_format": "wav",
                    "stats": {"train_samples": 3, "val_samples": 2, "test_samples": 1}},
    "datasets": {"path": "/abs/datasets", "sample_rate": 24000, "audio_format": "flac"}})");
  const DatasetRegistry reg = DatasetRegistry::load(dir.str());
  EXPECT_EQ(reg.names(), (std::vector<std::string>{"datasets", "librispeech"}));
  EXPECT_EQ(reg.entry("librispeech").stats.val_samples, 2);
  EXPECT_EQ(reg.entry("datasets").sample_rate, 24000);
  EXPECT_EQ(reg.audio_dir("datasets"), "/abs/datasets/audio");
  xcodec::testing::write_bytes((dir.path() / "datasets.json").string(), R"({"a": 5})");
  expect_error_with<IoError>([&] { DatasetRegistry::load(dir.str()); }, {"'a' must be an object"});
}

// Registries written by earlier xcodec versions ({"format_version": 1, "datasets": {...}}) are
// still read, and the next update or remove rewrites them in the documented layout.
TEST(DatasetRegistry, ReadsTheOldWrappedFormAndRewritesIt) {
  TempDir dir;
  const std::string file = (dir.path() / "datasets.json").string();
  const std::string wrapped = R"({
    "datasets": {
      "old": {"path": "processed/old", "sample_rate": 16000, "audio_format": "wav",
              "stats": {"train_samples": 10, "val_samples": 1, "test_samples": 1,
                        "train_hours": 0.5}},
      "path": {"path": "processed/path", "sample_rate": 8000, "audio_format": "flac"}},
    "format_version": 1})";
  xcodec::testing::write_bytes(file, wrapped);
  const DatasetRegistry reg = DatasetRegistry::load(dir.str());
  EXPECT_EQ(reg.names(), (std::vector<std::string>{"old", "path"}));
  EXPECT_EQ(reg.entry("old").stats.train_samples, 10);
  EXPECT_DOUBLE_EQ(reg.entry("old").stats.train_hours, 0.5);
  EXPECT_EQ(reg.entry("path").sample_rate, 8000);
  EXPECT_EQ(xcodec::testing::read_bytes(file), wrapped);  // reading never rewrites

  DatasetRegistry::update(dir.str(), make_entry("new", 4));
  const nlohmann::json j = nlohmann::json::parse(xcodec::testing::read_bytes(file));
  EXPECT_FALSE(j.contains("datasets")) << j.dump();
  EXPECT_FALSE(j.contains("format_version")) << j.dump();
  ASSERT_TRUE(j.contains("old")) << j.dump();
  EXPECT_EQ(j.at("old").at("stats").at("train_samples"), 10);
  EXPECT_EQ(j.at("path").at("audio_format"), "flac");
  EXPECT_EQ(j.at("new").at("stats").at("train_samples"), 4);
  EXPECT_EQ(DatasetRegistry::load(dir.str()).names(),
            (std::vector<std::string>{"new", "old", "path"}));

  // remove() rewrites an old file too.
  xcodec::testing::write_bytes(file, wrapped);
  DatasetRegistry::remove(dir.str(), "path");
  const nlohmann::json k = nlohmann::json::parse(xcodec::testing::read_bytes(file));
  EXPECT_EQ(k.size(), 1u) << k.dump();
  EXPECT_TRUE(k.contains("old")) << k.dump();
}

TEST(NameEscape, RoundTripsEveryByteStringAndYieldsValidUtf8) {
  // Latin-1 "café 100%.flac", a tab, a newline, DEL, valid UTF-8 (kept) and broken UTF-8.
  const std::string latin1 = "caf\xE9 100%.flac";
  EXPECT_EQ(escape_name(latin1), "caf%E9 100%25.flac");
  EXPECT_EQ(unescape_name("caf%E9 100%25.flac"), latin1);
  EXPECT_EQ(escape_name("a\tb\nc\x7F"), "a%09b%0Ac%7F");
  EXPECT_EQ(escape_name("ünï/çødé 声音 🎵.wav"), "ünï/çødé 声音 🎵.wav");
  EXPECT_EQ(escape_name("\xC3"), "%C3");                       // a cut-off sequence
  EXPECT_EQ(escape_name("\xC0\xAF"), "%C0%AF");                // overlong '/'
  EXPECT_EQ(escape_name("\xED\xA0\x80"), "%ED%A0%80");         // a UTF-16 surrogate
  EXPECT_EQ(escape_name("\xF4\x90\x80\x80"), "%F4%90%80%80");  // above U+10FFFF
  EXPECT_EQ(unescape_name("100%"), "100%");                    // not an escape: kept
  EXPECT_EQ(unescape_name("%zz%4"), "%zz%4");
  EXPECT_EQ(unescape_name("%e9"), "\xE9");
  EXPECT_TRUE(is_valid_utf8("ünï 声音"));
  EXPECT_FALSE(is_valid_utf8(latin1));

  std::mt19937 rng(11);
  for (int n = 0; n < 2000; ++n) {
    std::string raw(rng() % 24, '\0');
    for (char& c : raw) c = static_cast<char>(rng() & 0xff);
    const std::string esc = escape_name(raw);
    ASSERT_TRUE(is_valid_utf8(esc));
    for (const char c : esc) ASSERT_GE(static_cast<unsigned char>(c), 0x20u);
    ASSERT_EQ(unescape_name(esc), raw);
    // nlohmann-json refuses to dump invalid UTF-8 with its default error handler; the escaped
    // form always goes through and reads back.
    const nlohmann::json j = {{"path", esc}};
    ASSERT_EQ(nlohmann::json::parse(j.dump()).at("path"), esc);
  }
  EXPECT_THROW(nlohmann::json({{"path", latin1}}).dump(), nlohmann::json::type_error);
}

TEST(DatasetMetadata, FileAccountingAndNamesThatAreNotUtf8) {
  TempDir dir;
  const std::string path = (dir.path() / "metadata.json").string();
  DatasetMetadata m;
  m.name = "n";
  m.sample_rate = 16000;
  m.audio_format = "wav";
  m.source_dir = "/corpus/d\xE9mo";
  m.splits[0] = {2, 32000, 32000.0 / 16000 / 3600};
  m.found = 6;
  m.converted = 2;
  m.skipped = {{"br\xF6ken.wav", "empty file"}};
  m.ignored = {{"notes.txt", "not audio (no known format in its content)"},
               {"._x.wav", "AppleDouble metadata file (macOS resource fork)"},
               {"loop/", "symlink to a folder (not followed)"}};
  m.renamed = {{"caf\xE9 100%.flac", "caf%E9 100%25.wav"}};
  write_metadata(path, m);
  const std::string text = xcodec::testing::read_bytes(path);
  EXPECT_TRUE(is_valid_utf8(text));
  const nlohmann::json j = nlohmann::json::parse(text);  // throws on invalid UTF-8
  EXPECT_EQ(j.at("format_version"), 2);
  EXPECT_EQ(j.at("source_dir"), "/corpus/d%E9mo");
  const nlohmann::json& files = j.at("files");
  EXPECT_EQ(files.at("found"), 6);
  EXPECT_EQ(files.at("converted"), 2);
  EXPECT_EQ(files.at("skipped").at(0).at("path"), "br%F6ken.wav");
  EXPECT_EQ(files.at("ignored").size(), 3u);
  EXPECT_EQ(files.at("renamed").at(0).at("path"), "caf%E9 100%25.flac");
  EXPECT_EQ(files.at("renamed").at(0).at("output"), "caf%E9 100%25.wav");

  const DatasetMetadata r = read_metadata(path);
  EXPECT_EQ(r.source_dir, m.source_dir);
  EXPECT_EQ(r.found, 6);
  EXPECT_EQ(r.converted, 2);
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_EQ(r.skipped[0].path, "br\xF6ken.wav");  // the original bytes again
  ASSERT_EQ(r.ignored.size(), 3u);
  EXPECT_EQ(r.ignored[2].path, "loop/");
  EXPECT_EQ(r.ignored[2].reason, "symlink to a folder (not followed)");
  ASSERT_EQ(r.renamed.size(), 1u);
  EXPECT_EQ(r.renamed[0].path, "caf\xE9 100%.flac");
  EXPECT_EQ(r.renamed[0].output, "caf%E9 100%25.wav");

  // Version 1 files: a top-level "skipped" list with paths as they were.
  xcodec::testing::write_bytes(path, R"({"format_version": 1, "name": "n", "sample_rate": 16000,
      "audio_format": "wav", "splits": {"train": {"files": 3, "samples": 3, "hours": 0.0}},
      "skipped": [{"path": "a%41.wav", "reason": "empty file"}]})");
  const DatasetMetadata v1 = read_metadata(path);
  EXPECT_EQ(v1.format_version, 1);
  ASSERT_EQ(v1.skipped.size(), 1u);
  EXPECT_EQ(v1.skipped[0].path, "a%41.wav");
  EXPECT_EQ(v1.converted, 3);
  EXPECT_EQ(v1.found, 4);
  EXPECT_TRUE(v1.ignored.empty());
}

}  // namespace
}  // namespace xcodec::data
