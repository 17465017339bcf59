// The shared download machinery against a local HTTP server: resume, checksums, errors, state,
// parallel jobs, re-runs.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "audio/audio_test_util.h"
#include "data/download/digest.h"
#include "data/download/download_test_util.h"
#include "data/download/http_client.h"
#include "data/download/http_test_server.h"
#include "support/test_support.h"
#include "xcodec/core/error.h"
#include "xcodec/data/download/download.h"

namespace xcodec::data {
namespace {

namespace fs = std::filesystem;
using testing::HttpTestServer;

std::string md5_of(const std::string& s) {
  download::Md5 m;
  m.update(s.data(), s.size());
  return "md5:" + m.hex();
}

DownloadItem item(const HttpTestServer& server, const std::string& name, const std::string& body,
                  bool with_checksum = true) {
  DownloadItem i;
  i.url = server.url("/files/" + name);
  i.relative_path = name;
  if (with_checksum) i.checksum = md5_of(body);
  return i;
}

std::string error_of(const std::vector<DownloadItem>& items, const DownloadConfig& c) {
  try {
    download_items(items, c, "urls");
  } catch (const IoError& e) {
    return e.what();
  }
  return "";
}

TEST(DownloadHttp, ResumesAfterDroppedConnection) {
  HttpTestServer server;
  const std::string body = testing::pattern_bytes(1 << 20);
  HttpTestServer::Route r;
  r.body = body;
  r.drop_after = 300000;
  server.add("/files/big.bin", r);
  testing::TempDir dir;
  const DownloadConfig c = testing::quick_config(dir.path());
  const DownloadResult res = download_items({item(server, "big.bin", body)}, c, "urls");
  EXPECT_EQ(res.downloaded, 1);
  EXPECT_EQ(testing::read_bytes(c.output_dir + "/big.bin"), body);
  EXPECT_FALSE(fs::exists(c.output_dir + "/big.bin.part"));
  EXPECT_EQ(server.ranges("/files/big.bin"),
            (std::vector<std::string>{"", "bytes=300000-"}));  // the second try resumed
}

TEST(DownloadHttp, ResumesPartialFileOfAnEarlierRun) {
  HttpTestServer server;
  const std::string body = testing::pattern_bytes(200000, 7);
  server.add("/files/a.bin", body);
  testing::TempDir dir;
  const DownloadConfig c = testing::quick_config(dir.path());
  fs::create_directories(c.output_dir);
  testing::write_bytes(c.output_dir + "/a.bin.part", body.substr(0, 123456));
  download_items({item(server, "a.bin", body)}, c, "urls");
  EXPECT_EQ(testing::read_bytes(c.output_dir + "/a.bin"), body);
  EXPECT_EQ(server.ranges("/files/a.bin"), (std::vector<std::string>{"bytes=123456-"}));
}

TEST(DownloadHttp, ServerIgnoringRangeStartsOver) {
  HttpTestServer server;
  const std::string body = testing::pattern_bytes(50000, 3);
  HttpTestServer::Route r;
  r.body = body;
  r.ignore_range = true;
  server.add("/files/a.bin", r);
  testing::TempDir dir;
  const DownloadConfig c = testing::quick_config(dir.path());
  fs::create_directories(c.output_dir);
  testing::write_bytes(c.output_dir + "/a.bin.part", body.substr(0, 1000));
  download_items({item(server, "a.bin", body)}, c, "urls");
  EXPECT_EQ(testing::read_bytes(c.output_dir + "/a.bin"), body);
}

TEST(DownloadHttp, WrongChecksumIsAClearErrorAndLeavesNoFile) {
  HttpTestServer server;
  server.add("/files/x.bin", "the bytes the server has");
  testing::TempDir dir;
  const DownloadConfig c = testing::quick_config(dir.path());
  DownloadItem i = item(server, "x.bin", "the bytes the list promised");
  const std::string err = error_of({i}, c);
  EXPECT_NE(
      err.find("checksum mismatch for " + i.url + ": expected " + i.checksum.substr(0, 3) + " " +
               i.checksum.substr(4) + ", got " + md5_of("the bytes the server has").substr(4)),
      std::string::npos)
      << err;
  EXPECT_NE(err.find("after 3 downloads"), std::string::npos) << err;
  EXPECT_EQ(server.hits("/files/x.bin"), 3);  // retries = 2
  EXPECT_FALSE(fs::exists(c.output_dir + "/x.bin"));
  EXPECT_FALSE(fs::exists(c.output_dir + "/x.bin.part"));
  // --skip-checksum accepts it.
  DownloadConfig skip = c;
  skip.skip_checksum = true;
  EXPECT_EQ(download_items({i}, skip, "urls").downloaded, 1);
}

TEST(DownloadHttp, NotFoundFailsFastAndKeepsFinishedFiles) {
  HttpTestServer server;
  server.add("/files/good.bin", "good");
  testing::TempDir dir;
  const DownloadConfig c = testing::quick_config(dir.path());
  DownloadItem missing = item(server, "missing.bin", "", false);
  const std::string err = error_of({item(server, "good.bin", "good"), missing}, c);
  EXPECT_NE(err.find("download of " + missing.url + " failed: HTTP 404 Not Found"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("1 of 2 files failed"), std::string::npos) << err;
  EXPECT_EQ(server.hits("/files/missing.bin"), 1) << "a 404 is not retried";
  EXPECT_EQ(testing::read_bytes(c.output_dir + "/good.bin"), "good");
  EXPECT_FALSE(fs::exists(c.output_dir + "/missing.bin"));
  const auto state = nlohmann::json::parse(testing::read_bytes(dir.str() + "/data_dl.json"));
  EXPECT_EQ(state["files"]["raw/good.bin"]["status"], "done");
  EXPECT_EQ(state["files"]["raw/missing.bin"]["status"], "failed");
  EXPECT_NE(state["files"]["raw/missing.bin"]["error"].get<std::string>().find("404"),
            std::string::npos);
}

TEST(DownloadHttp, RefusedConnectionIsRetriedThenReported) {
  int port;
  {
    HttpTestServer gone;  // a port that was just free and now has no listener
    port = gone.port();
  }
  testing::TempDir dir;
  DownloadItem i;
  i.url = "http://127.0.0.1:" + std::to_string(port) + "/x.bin";
  i.relative_path = "x.bin";
  const std::string err = error_of({i}, testing::quick_config(dir.path()));
  EXPECT_NE(err.find("download of " + i.url + " failed:"), std::string::npos) << err;
  EXPECT_NE(err.find("after 3 tries"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir.path() / "raw" / "x.bin"));
}

TEST(DownloadHttp, DiskFullIsAnIoErrorNamingTheFile) {
  HttpTestServer server;
  server.add("/f", testing::pattern_bytes(100000));
  download::HttpOptions o;
  o.retry_delay_s = 0.01;
  try {
    download::fetch_to_file(server.url("/f"), "/dev/full", "md5", o, nullptr, nullptr);
    ADD_FAILURE() << "wrote to /dev/full";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot write '/dev/full'"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("disk full"), std::string::npos) << e.what();
  }
  EXPECT_EQ(server.hits("/f"), 1) << "a full disk is not retried";
}

TEST(DownloadState, RecordsFilesAndSecondRunDoesNothing) {
  HttpTestServer server;
  testing::TempDir dir;
  std::vector<DownloadItem> items;
  for (int k = 0; k < 3; ++k) {
    const std::string body = testing::pattern_bytes(10000 + k, k);
    server.add("/files/f" + std::to_string(k) + ".bin", body);
    items.push_back(item(server, "f" + std::to_string(k) + ".bin", body, k != 2));
  }
  const DownloadConfig c = testing::quick_config(dir.path());
  const DownloadResult first = download_items(items, c, "urls");
  EXPECT_EQ(first.downloaded, 3);
  EXPECT_EQ(first.state_path, (dir.path() / "data_dl.json").string());
  const auto state = nlohmann::json::parse(testing::read_bytes(first.state_path));
  EXPECT_EQ(state["format_version"], 1);
  const auto& f0 = state["files"]["raw/f0.bin"];
  EXPECT_EQ(f0["url"], items[0].url);
  EXPECT_EQ(f0["size"], 10000);
  EXPECT_EQ(f0["checksum"], items[0].checksum);
  EXPECT_EQ(f0["status"], "done");
  EXPECT_EQ(f0["extracted"], false);
  EXPECT_EQ(f0["source"], "urls");
  // Without a published sum the MD5 is still recorded.
  EXPECT_EQ(state["files"]["raw/f2.bin"]["checksum"],
            md5_of(testing::read_bytes(c.output_dir + "/f2.bin")));

  const int hits = server.total_hits();
  const auto t0 = std::chrono::steady_clock::now();
  const DownloadResult second = download_items(items, c, "urls");
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_TRUE(second.nothing_to_do());
  EXPECT_EQ(second.already_done, 3);
  EXPECT_EQ(server.total_hits(), hits);
  EXPECT_LT(s, 1.0);

  // A state file lost: present files are verified against their checksum and adopted.
  fs::remove(first.state_path);
  const DownloadResult third = download_items(items, c, "urls");
  EXPECT_EQ(third.already_done, 3);
  EXPECT_EQ(server.total_hits(), hits);
}

TEST(DownloadState, ConcurrentRunsMergeTheirRecords) {
  HttpTestServer server;
  server.set_delay_ms(20);
  testing::TempDir dir;
  std::vector<DownloadItem> a, b;
  for (int k = 0; k < 6; ++k) {
    const std::string name = "c" + std::to_string(k) + ".bin";
    const std::string body = testing::pattern_bytes(5000, k + 10);
    server.add("/files/" + name, body);
    (k % 2 ? a : b).push_back(item(server, name, body));
  }
  const DownloadConfig c = testing::quick_config(dir.path(), 2);
  std::thread t1([&] { download_items(a, c, "urls"); });
  std::thread t2([&] { download_items(b, c, "urls"); });
  t1.join();
  t2.join();
  const auto state = nlohmann::json::parse(testing::read_bytes(dir.str() + "/data_dl.json"));
  EXPECT_EQ(state["files"].size(), 6u);
}

TEST(DownloadState, TwoRunsOfTheSameFileDownloadItOnce) {
  HttpTestServer server;
  server.set_delay_ms(200);
  const std::string body = testing::pattern_bytes(300000, 5);
  server.add("/files/same.bin", body);
  testing::TempDir dir;
  const DownloadConfig c = testing::quick_config(dir.path());
  const std::vector<DownloadItem> items{item(server, "same.bin", body)};
  DownloadResult r1, r2;
  std::thread t1([&] { r1 = download_items(items, c, "urls"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::thread t2([&] { r2 = download_items(items, c, "urls"); });
  t1.join();
  t2.join();
  EXPECT_EQ(r1.downloaded + r2.downloaded, 1);
  EXPECT_EQ(server.hits("/files/same.bin"), 1);
  EXPECT_EQ(testing::read_bytes(c.output_dir + "/same.bin"), body);
}

TEST(DownloadJobs, FourJobsFetchInParallel) {
  HttpTestServer server;
  server.set_delay_ms(100);
  testing::TempDir dir;
  std::vector<DownloadItem> items;
  std::vector<std::string> bodies;
  for (int k = 0; k < 8; ++k) {
    bodies.push_back(testing::pattern_bytes(40000 + 17 * k, 100 + k));
    server.add("/files/j" + std::to_string(k) + ".bin", bodies.back());
    items.push_back(item(server, "j" + std::to_string(k) + ".bin", bodies.back()));
  }
  const DownloadConfig c = testing::quick_config(dir.path(), 4);
  const DownloadResult r = download_items(items, c, "urls");
  EXPECT_EQ(r.downloaded, 8);
  EXPECT_EQ(server.max_concurrent(), 4);
  for (int k = 0; k < 8; ++k) {
    EXPECT_EQ(testing::read_bytes(c.output_dir + "/j" + std::to_string(k) + ".bin"), bodies[k]);
  }
}

TEST(DownloadArchives, HostileArchiveInAListIsRefused) {
  HttpTestServer server;
  const std::string evil =
      testing::make_tar({{"ok.flac", "x"}, {"../evil", "owned"}}, /*gzip=*/true);
  server.add("/files/evil.tar.gz", evil);
  testing::TempDir dir;
  const DownloadConfig c = testing::quick_config(dir.path());
  DownloadItem i = item(server, "evil.tar.gz", evil);
  i.unpack = DownloadItem::Unpack::kArchive;
  const std::string err = error_of({i}, c);
  EXPECT_NE(err.find("member '../evil' has a '..' component"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir.path() / "evil"));
  EXPECT_FALSE(fs::exists(dir.path() / "raw" / "ok.flac"));
  EXPECT_FALSE(fs::exists(dir.path() / "raw" / ".evil.tar.gz.extracted"));
}

TEST(DownloadUrlList, ParsesCommentsAndChecksums) {
  const auto items = parse_url_list(
      "# corpus\n"
      "https://example.org/a/clip.flac  D41D8CD98F00B204E9800998ECF8427E\n"
      "\n"
      "https://example.org/b/pack.tar.gz?x=1 # no sum\n",
      "list.txt");
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].relative_path, "clip.flac");
  EXPECT_EQ(items[0].checksum, "md5:d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(items[0].unpack, DownloadItem::Unpack::kNone);
  EXPECT_EQ(items[1].relative_path, "pack.tar.gz");
  EXPECT_EQ(items[1].checksum, "");
  EXPECT_EQ(items[1].unpack, DownloadItem::Unpack::kArchive);
  try {
    parse_url_list("https://e.org/a.flac\nhttps://f.org/a.flac\n", "l.txt");
    ADD_FAILURE();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("l.txt:2: file name 'a.flac' repeats line 1"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(parse_url_list("https://e.org/a.flac 1234\n", "l.txt"), ConfigError);
  EXPECT_THROW(parse_url_list("https://e.org/\n", "l.txt"), ConfigError);
  EXPECT_THROW(parse_url_list("# nothing\n", "l.txt"), ConfigError);
}

}  // namespace
}  // namespace xcodec::data
