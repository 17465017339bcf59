// End-to-end runs of `xcodec download` against a local HTTP server.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "audio/audio_test_util.h"
#include "data/download/digest.h"
#include "data/download/download_test_util.h"
#include "data/download/http_test_server.h"
#include "support/test_support.h"

namespace xcodec {
namespace {

namespace fs = std::filesystem;
using testing::shell_quote;

// 0.5 s of a 440 Hz tone, 16 kHz mono 16-bit PCM WAV.
std::string tone_wav(double freq) {
  std::string pcm;
  for (int i = 0; i < 8000; ++i) {
    const auto v = static_cast<int16_t>(8000 * std::sin(2 * M_PI * freq * i / 16000.0));
    pcm += static_cast<char>(v & 0xff);
    pcm += static_cast<char>((v >> 8) & 0xff);
  }
  return testing::wav_bytes(1, 1, 16000, 16, pcm);
}

TEST(DownloadCli, UrlsThenPrepareAndRerun) {
  testing::HttpTestServer server;
  std::vector<testing::ArchiveMember> members;
  for (int k = 0; k < 4; ++k) {
    members.push_back({"corpus/spk" + std::to_string(k) + "/utt.wav", tone_wav(300 + 100 * k)});
  }
  const std::string archive = testing::make_tar(members, /*gzip=*/true);
  server.add("/c/corpus.tar.gz", archive);
  server.add("/c/extra.wav", tone_wav(880));
  data::download::Md5 md5;
  md5.update(archive.data(), archive.size());
  testing::TempDir dir;
  const std::string list = dir.str() + "/list.txt";
  testing::write_bytes(list, "# test corpus\n" + server.url("/c/corpus.tar.gz") + " " + md5.hex() +
                                 "\n" + server.url("/c/extra.wav") + "\n");
  const std::string base = shell_quote(testing::cli_path()) + " download urls " +
                           shell_quote(list) + " --output-dir " +
                           shell_quote(dir.str() + "/data/raw") + " --jobs 2 --progress lines";
  std::string out;
  ASSERT_EQ(testing::run_command(base + " --then-prepare mini", &out), 0) << out;
  EXPECT_NE(out.find("downloaded 2 of 2 files"), std::string::npos) << out;
  EXPECT_NE(out.find("prepared mini: 5 files"), std::string::npos) << out;
  const auto reg = nlohmann::json::parse(testing::read_bytes(dir.str() + "/data/datasets.json"));
  EXPECT_TRUE(reg.contains("mini")) << reg.dump();
  EXPECT_TRUE(fs::exists(dir.path() / "data/raw/corpus/spk3/utt.wav"));
  EXPECT_TRUE(fs::exists(dir.path() / "data/data_dl.json"));

  const int hits = server.total_hits();
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(testing::run_command(base, &out), 0) << out;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1.0);
  EXPECT_NE(out.find("nothing to do: all 2 files already downloaded"), std::string::npos) << out;
  EXPECT_EQ(server.total_hits(), hits);
}

TEST(DownloadCli, NotFoundIsOneLineAndNonZero) {
  testing::HttpTestServer server;
  testing::TempDir dir;
  const std::string list = dir.str() + "/list.txt";
  testing::write_bytes(list, server.url("/missing.flac") + "\n");
  std::string out;
  const std::string cmd = shell_quote(testing::cli_path()) + " download urls " + shell_quote(list) +
                          " --output-dir " + shell_quote(dir.str() + "/raw");
  EXPECT_NE(testing::run_command(cmd, &out), 0);
  EXPECT_NE(out.find("HTTP 404 Not Found"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_FALSE(fs::exists(dir.path() / "raw" / "missing.flac"));
}

}  // namespace
}  // namespace xcodec
