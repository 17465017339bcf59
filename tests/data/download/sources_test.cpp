// The sources: LibriSpeech (published archives, mirror), the Hub listing, against a local server.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "audio/audio_test_util.h"
#include "data/download/digest.h"
#include "data/download/download_test_util.h"
#include "data/download/http_test_server.h"
#include "support/test_support.h"
#include "xcodec/core/error.h"
#include "xcodec/data/download/download.h"

namespace xcodec::data {
namespace {

namespace fs = std::filesystem;
using testing::ArchiveMember;
using testing::HttpTestServer;

// A LibriSpeech-shaped archive: LibriSpeech/<subset>/<spk>/<chapter>/*.flac + transcripts.
std::string librispeech_archive(const std::string& subset) {
  std::vector<ArchiveMember> m{{"LibriSpeech/LICENSE.TXT", "CC BY 4.0"}};
  for (const char* spk : {"84", "174"}) {
    const std::string ch = std::string("LibriSpeech/") + subset + "/" + spk + "/121123/";
    m.push_back({ch + spk + "-121123-0000.flac", testing::pattern_bytes(3000, spk[0])});
    m.push_back({ch + spk + "-121123-0001.flac", testing::pattern_bytes(2000, spk[1])});
    m.push_back({ch + spk + "-121123.trans.txt", "0000 HELLO\n0001 WORLD\n"});
  }
  return testing::make_tar(m, /*gzip=*/true);
}

TEST(DownloadLibrispeech, PublishedTable) {
  LibrispeechDownloadConfig c;
  const auto items = librispeech_items(c);
  ASSERT_EQ(items.size(), 7u);
  EXPECT_EQ(items[0].url, "https://www.openslr.org/resources/12/dev-clean.tar.gz");
  EXPECT_EQ(items[0].checksum, "md5:42e2234ba48799c1f50f24a7926300a1");
  EXPECT_EQ(items[6].relative_path, "train-other-500.tar.gz");
  c.subsets = "test-clean, dev-other";
  c.mirror = "http://mirror.example/ls";
  const auto two = librispeech_items(c);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].url, "http://mirror.example/ls/dev-other.tar.gz");
  c.subsets = "dev-dirty";
  try {
    librispeech_items(c);
    ADD_FAILURE();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown LibriSpeech subset 'dev-dirty'"),
              std::string::npos);
  }
}

TEST(DownloadLibrispeech, MirrorDownloadExtractAndRerun) {
  HttpTestServer server;
  server.add("/ls/dev-clean.tar.gz", librispeech_archive("dev-clean"));
  HttpTestServer::Route dropping;
  dropping.body = librispeech_archive("test-clean");
  dropping.drop_after = static_cast<int64_t>(dropping.body.size() / 2);
  server.add("/ls/test-clean.tar.gz", dropping);
  testing::TempDir dir;
  LibrispeechDownloadConfig c;
  c.common = testing::quick_config(dir.path(), 2);
  c.subsets = "dev-clean,test-clean";
  c.mirror = server.url("/ls/");

  // Repacked mirror: the published MD5 is named in the error, nothing is kept under final names.
  try {
    download_librispeech(c);
    ADD_FAILURE();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("expected md5 42e2234ba48799c1f50f24a7926300a1"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(dir.path() / "raw" / "dev-clean.tar.gz"));
  EXPECT_FALSE(fs::exists(dir.path() / "raw" / "LibriSpeech"));

  c.common.skip_checksum = true;
  const DownloadResult r = download_librispeech(c);
  EXPECT_EQ(r.downloaded, 2);
  EXPECT_EQ(r.extracted, 2);
  EXPECT_EQ(r.prepare_input_dir, (dir.path() / "raw" / "LibriSpeech").string());
  for (const char* sub : {"dev-clean", "test-clean"}) {
    const fs::path ch = dir.path() / "raw/LibriSpeech" / sub / "84/121123";
    EXPECT_TRUE(fs::exists(ch / "84-121123-0000.flac")) << ch;
    EXPECT_EQ(testing::read_bytes((ch / "84-121123-0001.flac").string()),
              testing::pattern_bytes(2000, '4'));
  }
  const auto state = nlohmann::json::parse(testing::read_bytes(r.state_path));
  const auto& dev = state["files"]["raw/dev-clean.tar.gz"];
  EXPECT_EQ(dev["status"], "done");
  EXPECT_EQ(dev["extracted"], true);
  EXPECT_EQ(dev["source"], "librispeech");
  EXPECT_EQ(dev["url"], server.url("/ls/dev-clean.tar.gz"));
  EXPECT_EQ(dev["checksum"].get<std::string>().rfind("md5:", 0), 0u);

  const int hits = server.total_hits();
  const auto t0 = std::chrono::steady_clock::now();
  const DownloadResult again = download_librispeech(c);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1.0);
  EXPECT_TRUE(again.nothing_to_do());
  EXPECT_EQ(server.total_hits(), hits);
}

TEST(DownloadHf, ListsPagesFiltersAndUnpacksShards) {
  HttpTestServer server;
  const std::string shard0 = testing::make_tar(
      {{"a1.flac", "AAA"}, {"a1.json", "{\"text\":\"a\"}"}, {"a2.mp3", "BBB"}, {"a2.json", "{}"}});
  const std::string shard1 = testing::make_tar({{"b1.flac", "CCC"}, {"b1.json", "{}"}});
  download::Sha256 h;
  h.update(shard0.data(), shard0.size());
  const std::string sha0 = h.hex();
  using nlohmann::json;
  const json page1 =
      json::array({{{"type", "file"}, {"path", ".gitattributes"}, {"size", 10}, {"oid", "x"}},
                   {{"type", "directory"}, {"path", "data"}, {"size", 0}, {"oid", "y"}},
                   {{"type", "file"},
                    {"path", "data/train-000.tar"},
                    {"size", shard0.size()},
                    {"oid", "z"},
                    {"lfs", {{"oid", sha0}, {"size", shard0.size()}, {"pointerSize", 130}}}}});
  const json page2 =
      json::array({{{"type", "file"}, {"path", "data/train-001.tar"}, {"size", shard1.size()}},
                   {{"type", "file"}, {"path", "data/train-002.tar"}, {"size", 1}},
                   {{"type", "file"}, {"path", "README.md"}, {"size", 5}}});
  const std::string list = "/api/datasets/org/speech/tree/main?recursive=true&expand=false";
  HttpTestServer::Route p1;
  p1.body = page1.dump();
  p1.headers["Link"] = "<" + server.url(list + "&cursor=abc") + ">; rel=\"next\"";
  server.add(list, p1);
  server.add(list + "&cursor=abc", page2.dump());
  server.add("/datasets/org/speech/resolve/main/data/train-000.tar", shard0);
  server.add("/datasets/org/speech/resolve/main/data/train-001.tar", shard1);

  testing::TempDir dir;
  HfDownloadConfig c;
  c.common = testing::quick_config(dir.path(), 2);
  c.repo = "org/speech";
  c.endpoint = server.url("");
  c.include = {"data/*.tar"};
  c.max_files = 2;
  ::setenv("HF_TOKEN", "hf_test_token", 1);
  const DownloadResult r = download_hf(c);
  ::unsetenv("HF_TOKEN");
  EXPECT_EQ(r.downloaded, 2);
  EXPECT_EQ(r.extracted, 2);
  EXPECT_EQ(r.prepare_input_dir, (dir.path() / "raw" / "audio").string());
  EXPECT_EQ(server.authorization(list), "Bearer hf_test_token");
  EXPECT_EQ(server.authorization("/datasets/org/speech/resolve/main/data/train-000.tar"),
            "Bearer hf_test_token");
  const fs::path audio = dir.path() / "raw/audio/data";
  EXPECT_EQ(testing::read_bytes((audio / "train-000/a1.flac").string()), "AAA");
  EXPECT_EQ(testing::read_bytes((audio / "train-000/a2.mp3").string()), "BBB");
  EXPECT_EQ(testing::read_bytes((audio / "train-001/b1.flac").string()), "CCC");
  EXPECT_FALSE(fs::exists(audio / "train-000/a1.json"));
  const auto state = nlohmann::json::parse(testing::read_bytes(r.state_path));
  EXPECT_EQ(state["files"]["raw/data/train-000.tar"]["checksum"], "sha256:" + sha0);
  EXPECT_EQ(state["files"]["raw/data/train-000.tar"]["source"], "hf");

  c.include = {"nothing/*"};
  EXPECT_THROW(download_hf(c), IoError);
  c.repo = "../etc";
  EXPECT_THROW(download_hf(c), ConfigError);
}

}  // namespace
}  // namespace xcodec::data
