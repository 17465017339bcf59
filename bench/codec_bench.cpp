// X-Codec-2.0 inference speed with the full default configuration (random weights, weight norm
// folded, InferenceMode): 10 s of 16 kHz audio, semantic features given (the w2v-BERT teacher is
// not part of this measurement). Reports real-time factors (RTF = compute seconds / audio
// seconds, per second of audio in the batch) with 1 and 2 intra-op threads, batch 1 and 8, and
// compute precision fp32 (0) and bf16 (1). Arguments: threads/batch/precision.
// LibTorch's thread count does not bind OpenBLAS and, with Debian's oneDNN, not every kernel:
// for a true one-core figure run under `taskset -c 0` (bench/codec_rtf.sh does both).
//
//   build/bench/codec_bench [--no-tune] [--blas-linear] [--benchmark_filter=Decode]
// The allocator is tuned for inference first (xcodec/core/allocator.h) unless --no-tune.
// float32 linear layers take oneDNN where it runs AVX-512 (onednn_linear.h); --blas-linear
// keeps them on BLAS, as LibTorch's own torch::linear does, to measure the difference.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <chrono>
#include <string>

#include "xcodec/core/allocator.h"
#include "xcodec/core/cpu_features.h"
#include "xcodec/core/openmp_wait.h"
#include "xcodec/models/codecs/xcodec2_model.h"
#include "xcodec/models/layers/onednn_linear.h"

namespace {

namespace xm = xcodec::models;
constexpr double kSeconds = 10.0;

struct Setup {
  xm::XCodec2Model model{nullptr};
  torch::Tensor wave;      // [1, 1, N'] padded
  torch::Tensor semantic;  // [1, T, 1024]
  torch::Tensor codes;     // [1, 1, T]
};

Setup& setup() {
  static Setup s = [] {
    torch::manual_seed(0);
    Setup st;
    st.model = xm::XCodec2Model(xm::XCodec2Config{}, /*with_training_heads=*/false);
    st.model->prepare_for_inference();
    const auto& c = st.model->config;
    const int64_t n = static_cast<int64_t>(kSeconds * c.sample_rate);
    st.wave = xm::pad_for_encoding(0.1 * torch::randn({1, 1, n}), c.hop_length());
    const int64_t frames = st.wave.size(2) / c.hop_length();
    st.semantic = torch::randn({1, frames, c.semantic.hidden_size});
    st.codes = st.model->encode(st.wave, st.semantic);
    return st;
  }();
  return s;
}

const char* kPrecisionNames[] = {"fp32", "bf16"};

template <typename F>
void run_rtf(benchmark::State& state, F&& f) {
  torch::set_num_threads(static_cast<int>(state.range(0)));
  const auto precision = static_cast<xm::ComputePrecision>(state.range(2));
  if (precision == xm::ComputePrecision::kBFloat16 && !xcodec::cpu_bf16_support().native) {
    // Emulated bf16 runs 20-70x slower than fp32: a figure nobody should use (the CLI runs fp32).
    state.SkipWithError(("bf16 skipped: " + xcodec::cpu_bf16_support().reason).c_str());
    return;
  }
  setup().model->set_compute_precision(precision);
  state.SetLabel(kPrecisionNames[state.range(2)]);
  c10::InferenceMode guard;
  f();  // warm-up (allocator, oneDNN primitive caches)
  double total = 0.0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    total += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  const double batch = static_cast<double>(state.range(1));
  state.counters["RTF"] = total / static_cast<double>(state.iterations()) / (kSeconds * batch);
  state.counters["threads"] = static_cast<double>(state.range(0));
  state.counters["batch"] = batch;
}

void BM_AcousticEncode(benchmark::State& state) {
  auto& s = setup();
  const torch::Tensor wave = s.wave.repeat({state.range(1), 1, 1});
  run_rtf(state, [&] { benchmark::DoNotOptimize(s.model->CodecEnc->forward(wave)); });
}

void BM_Encode(benchmark::State& state) {
  auto& s = setup();
  const torch::Tensor wave = s.wave.repeat({state.range(1), 1, 1});
  const torch::Tensor semantic = s.semantic.repeat({state.range(1), 1, 1});
  run_rtf(state, [&] { benchmark::DoNotOptimize(s.model->encode(wave, semantic)); });
}

void BM_Decode(benchmark::State& state) {
  auto& s = setup();
  const torch::Tensor codes = s.codes.repeat({state.range(1), 1, 1});
  run_rtf(state, [&] { benchmark::DoNotOptimize(s.model->decode(codes)); });
}

}  // namespace

BENCHMARK(BM_AcousticEncode)
    ->ArgsProduct({{1, 2}, {1, 8}, {0, 1}})
    ->Iterations(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Encode)
    ->ArgsProduct({{1, 2}, {1, 8}, {0, 1}})
    ->Iterations(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Decode)
    ->ArgsProduct({{1, 2}, {1, 8}, {0, 1}})
    ->Iterations(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
int main(int argc, char** argv) {
  // As the xcodec inference commands do (xcodec/core/openmp_wait.h); OMP_WAIT_POLICY=active
  // in the environment measures the default policy.
  xcodec::reexec_with_passive_openmp_wait(argv);
  // What an inference program should do (see xcodec/core/allocator.h); --no-tune to compare.
  bool tune = true;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--no-tune") tune = false;
    if (std::string(argv[i]) == "--blas-linear") xcodec::models::set_onednn_fp32_linear(false);
  }
  if (tune) xcodec::tune_allocator_for_inference();
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("xcodec_fp32_linear",
                              xcodec::models::onednn_fp32_linear_enabled() ? "oneDNN" : "BLAS");
  benchmark::AddCustomContext("xcodec_cpu", xcodec::cpu_summary());
  benchmark::AddCustomContext("xcodec_bf16",
                              (xcodec::cpu_bf16_support().native ? "native: " : "emulated: ") +
                                  xcodec::cpu_bf16_support().reason);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
