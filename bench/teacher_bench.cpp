// Semantic teacher cost with the FULL w2v-BERT 2.0 architecture (1024 hidden, 16 heads, FFN 4096,
// 24 layers of which the first 16 are built and run; random weights, float32).
//
// Counters: `s_per_audio_s` = wall seconds per second of 16 kHz audio (lower is better),
// `rtf_x` = seconds of audio per wall second. The argument is the clip length in seconds.
// The machine's other load inflates wall-clock figures; the _OneThread variant reports CPU time.
// XCODEC_BENCH_DEVICE=cuda runs the model (and fbank) on the GPU.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "xcodec/audio/seamless_fbank.h"
#include "xcodec/models/semantic/semantic_teacher.h"
#include "xcodec/models/semantic/wav2vec2_bert.h"

namespace {

using xcodec::models::SemanticTeacher;

torch::Device bench_device() {
  const char* env = std::getenv("XCODEC_BENCH_DEVICE");
  return torch::Device(env != nullptr && *env != '\0' ? env : "cpu");
}

void sync(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize();
}

// Built once: 387M random parameters (about 1.55 GB in float32).
const SemanticTeacher& teacher() {
  static const std::unique_ptr<SemanticTeacher> t = [] {
    torch::manual_seed(0);
    xcodec::models::Wav2Vec2BertOptions opts;  // w2v-bert-2.0 config, 16 layers
    opts.num_layers = 16;
    xcodec::models::Wav2Vec2BertModel model(opts);
    xcodec::models::SemanticTeacherOptions topts;
    topts.layer = 16;
    topts.device = bench_device();
    return std::make_unique<SemanticTeacher>(model, topts);
  }();
  return *t;
}

void set_counters(benchmark::State& state, double audio_seconds) {
  state.counters["s_per_audio_s"] = benchmark::Counter(
      audio_seconds, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["rtf_x"] =
      benchmark::Counter(audio_seconds, benchmark::Counter::kIsIterationInvariantRate);
}

torch::Tensor aligned_wave(int64_t seconds) {
  torch::manual_seed(1);
  // X-Codec-2.0 alignment of a `seconds`-long clip (always pads 1..320 samples).
  return xcodec::audio::xcodec2_pad_to_hop(0.1 * torch::randn({1, seconds * 16000}));
}

// Encoder only (feature projection + 16 Conformer layers) on precomputed features.
void BM_TeacherLayer16_Model(benchmark::State& state) {
  const auto& t = teacher();
  const auto wave = aligned_wave(state.range(0));
  const auto feats = t.features(wave).to(t.options().device);
  for (auto _ : state) {
    auto h = t.hidden_from_features(feats);
    sync(t.options().device);
    benchmark::DoNotOptimize(h);
  }
  set_counters(state, static_cast<double>(wave.size(1)) / 16000.0);
}

// The same on one intra-op thread, reported in CPU time (`cpu_s_per_audio_s`): the machine's
// load does not inflate this figure the way it inflates wall-clock time.
void BM_TeacherLayer16_Model_OneThread(benchmark::State& state) {
  const auto& t = teacher();
  const auto wave = aligned_wave(state.range(0));
  const auto feats = t.features(wave).to(t.options().device);
  const int threads = torch::get_num_threads();
  torch::set_num_threads(1);
  for (auto _ : state) {
    auto h = t.hidden_from_features(feats);
    sync(t.options().device);
    benchmark::DoNotOptimize(h);
  }
  torch::set_num_threads(threads);
  state.counters["cpu_s_per_audio_s"] = benchmark::Counter(
      static_cast<double>(wave.size(1)) / 16000.0,
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// Whole teacher: 160-sample padding + fbank + 16 layers.
void BM_TeacherLayer16_Waveform(benchmark::State& state) {
  const auto& t = teacher();
  const auto wave = aligned_wave(state.range(0)).to(t.options().device);
  for (auto _ : state) {
    auto h = t.hidden(wave);
    sync(t.options().device);
    benchmark::DoNotOptimize(h);
  }
  set_counters(state, static_cast<double>(wave.size(1)) / 16000.0);
}

// Feature extraction alone (float64 framing/FFT/mel like the reference).
void BM_SeamlessFbank(benchmark::State& state) {
  const xcodec::audio::SeamlessFbank fbank;
  const auto device = bench_device();
  const auto wave = xcodec::audio::xcodec2_semantic_pad(aligned_wave(state.range(0))).to(device);
  torch::InferenceMode guard;
  for (auto _ : state) {
    auto f = fbank(wave);
    sync(device);
    benchmark::DoNotOptimize(f.input_features);
  }
  set_counters(state, static_cast<double>(wave.size(1) - 320) / 16000.0);
}

}  // namespace

// Wall-clock time (UseRealTime): LibTorch spreads work over intra-op threads, so the main
// thread's CPU time would under-report the cost.
BENCHMARK(BM_SeamlessFbank)->Arg(1)->Arg(10)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TeacherLayer16_Model)
    ->Arg(1)
    ->Arg(4)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0)
    ->UseRealTime();
BENCHMARK(BM_TeacherLayer16_Model_OneThread)->Arg(4)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_TeacherLayer16_Waveform)
    ->Arg(4)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0)
    ->UseRealTime();
BENCHMARK_MAIN();
