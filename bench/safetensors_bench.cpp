// Weight I/O throughput: serialise and re-open a 64 MiB float32 state dict.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>

#include "xcodec/io/safetensors.h"

namespace {

std::vector<std::pair<std::string, torch::Tensor>> make_tensors() {
  std::vector<std::pair<std::string, torch::Tensor>> t;
  for (int i = 0; i < 64; ++i)
    t.emplace_back("layer." + std::to_string(i), torch::randn({512, 512}));
  return t;
}

void BM_SafetensorsSave(benchmark::State& state) {
  const auto tensors = make_tensors();
  const auto path = (std::filesystem::temp_directory_path() / "xcodec_bench.safetensors").string();
  for (auto _ : state) xcodec::io::save_safetensors(path, tensors);
  state.SetBytesProcessed(state.iterations() * 64 * 512 * 512 * 4);
  std::remove(path.c_str());
}

void BM_SafetensorsLoad(benchmark::State& state) {
  const auto path =
      (std::filesystem::temp_directory_path() / "xcodec_bench_load.safetensors").string();
  xcodec::io::save_safetensors(path, make_tensors());
  for (auto _ : state) benchmark::DoNotOptimize(xcodec::io::load_safetensors(path));
  state.SetBytesProcessed(state.iterations() * 64 * 512 * 512 * 4);
  std::remove(path.c_str());
}

}  // namespace

BENCHMARK(BM_SafetensorsSave)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SafetensorsLoad)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
