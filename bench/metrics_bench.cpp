// Evaluation metrics cost: STOI / ESTOI (and the other per-file metrics) on 10 s of audio.
// Run: build/bench/metrics_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "xcodec/eval/metrics/si_sdr.h"
#include "xcodec/eval/metrics/spectral_distance.h"
#include "xcodec/eval/metrics/stoi.h"

namespace {

constexpr double kSeconds = 10.0;

// A speech-like clean signal (modulated noise + tones) and a noisy copy, at `fs` Hz.
std::pair<std::vector<float>, std::vector<float>> make_pair(int fs) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> normal(0.0, 1.0);
  const int n = static_cast<int>(kSeconds * fs);
  std::vector<float> x(n), y(n);
  for (int i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / fs;
    const double env = 0.55 + 0.45 * std::sin(2 * M_PI * 3.0 * t) * std::sin(2 * M_PI * 0.7 * t);
    x[i] = static_cast<float>(env * (0.05 * normal(rng) + 0.2 * std::sin(2 * M_PI * 220 * t)));
    y[i] = x[i] + static_cast<float>(0.02 * normal(rng));
  }
  return {x, y};
}

void BM_Stoi(benchmark::State& state) {
  const int fs = static_cast<int>(state.range(0));
  const auto [x, y] = make_pair(fs);
  for (auto _ : state) benchmark::DoNotOptimize(xcodec::eval::stoi(x, y, fs));
  state.counters["audio_s"] = kSeconds;
}

void BM_Estoi(benchmark::State& state) {
  const int fs = static_cast<int>(state.range(0));
  const auto [x, y] = make_pair(fs);
  for (auto _ : state) benchmark::DoNotOptimize(xcodec::eval::estoi(x, y, fs));
  state.counters["audio_s"] = kSeconds;
}

void BM_SiSdr(benchmark::State& state) {
  const auto [x, y] = make_pair(16000);
  for (auto _ : state) benchmark::DoNotOptimize(xcodec::eval::si_sdr(x, y));
}

void BM_MelDistance(benchmark::State& state) {
  const auto [x, y] = make_pair(16000);
  for (auto _ : state) benchmark::DoNotOptimize(xcodec::eval::mel_distance(x, y, 16000));
}

void BM_LogSpectralDistance(benchmark::State& state) {
  const auto [x, y] = make_pair(16000);
  for (auto _ : state) benchmark::DoNotOptimize(xcodec::eval::log_spectral_distance(x, y));
}

}  // namespace

BENCHMARK(BM_Stoi)->Arg(10000)->Arg(16000)->Arg(24000)->Arg(44100)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Estoi)->Arg(16000)->Arg(24000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SiSdr)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MelDistance)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LogSpectralDistance)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
