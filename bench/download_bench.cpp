// Download throughput of `xcodec download` (data::download_items) from an HTTP server on
// 127.0.0.1 (the tests' server, in this process), with 1 and 4 jobs: 8 files of 16 MB, each
// MD5-checked while it arrives, written through NAME.part and renamed. Network-free, so it
// measures the downloader's own cost (libcurl, hashing, writes), not a link.
// Run: build/bench/download_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>
#include <vector>

#include "../tests/data/download/http_test_server.h"
#include "data/download/digest.h"
#include "xcodec/data/download/download.h"

namespace {

namespace fs = std::filesystem;
constexpr int kFiles = 8;
constexpr size_t kFileBytes = 16u << 20;

struct Fixture {
  xcodec::testing::HttpTestServer server;
  std::vector<xcodec::data::DownloadItem> items;
  Fixture() {
    std::string body(kFileBytes, '\0');
    uint32_t x = 1;
    for (auto& c : body) c = static_cast<char>((x = x * 1664525u + 1013904223u) >> 24);
    for (int k = 0; k < kFiles; ++k) {
      body[0] = static_cast<char>(k);
      const std::string name = "f" + std::to_string(k) + ".bin";
      server.add("/" + name, body);
      xcodec::data::download::Md5 md5;
      md5.update(body.data(), body.size());
      xcodec::data::DownloadItem item;
      item.url = server.url("/" + name);
      item.relative_path = name;
      item.checksum = "md5:" + md5.hex();
      items.push_back(item);
    }
  }
};

void BM_Download(benchmark::State& state) {
  static Fixture fixture;
  const fs::path dir =
      fs::temp_directory_path() / ("xcodec-download-bench-" + std::to_string(::getpid()));
  xcodec::data::DownloadConfig config;
  config.output_dir = (dir / "raw").string();
  config.jobs = static_cast<int>(state.range(0));
  config.progress = "none";
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove_all(dir);
    state.ResumeTiming();
    const auto r = xcodec::data::download_items(fixture.items, config, "bench");
    if (r.downloaded != kFiles) state.SkipWithError("not every file was downloaded");
  }
  fs::remove_all(dir);
  state.SetBytesProcessed(state.iterations() * kFiles * static_cast<int64_t>(kFileBytes));
}

BENCHMARK(BM_Download)->Arg(1)->Arg(4)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
