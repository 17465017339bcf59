// Speed of any registered codec family, built from the shipped configs by name:
//   - encode / decode real-time factor of 10 s of audio (random weights, fp32, eval mode,
//     InferenceMode), batch 1, with 1 and 2 intra-op threads;
//   - training steps per second of the full GAN step as `xcodec train` runs it (discriminator
//     update, then generator update with every loss term of the recipe), 1 s crops.
// The model config comes from `xcodec train model=NAME` composition (model group + preset), so
// the figures are those of the recipe a user runs.
//
//   build/bench/training_family_bench [--model=dwan24k] [--train-model=dwan-tiny]
//                                     [--batch=4] [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "xcodec/core/allocator.h"
#include "xcodec/losses/gan_loss.h"
#include "xcodec/losses/mel_loss.h"
#include "xcodec/models/codecs/codec_registry.h"
#include "xcodec/models/discriminators/discriminator_set.h"
#include "xcodec/train/config/training_config.h"
#include "xcodec/train/generator_step.h"
#include "xcodec/train/lr_schedule.h"

namespace {

namespace xm = xcodec::models;
namespace xt = xcodec::train;
constexpr double kSeconds = 10.0;
std::string g_model = "dwan24k";
std::string g_train_model = "dwan-tiny";
int64_t g_batch = 4;

xt::TrainingConfig config_of(const std::string& model) {
  return xt::load_training_config({"model=" + model, "dataset.names=[bench]"},
                                  std::string(XCODEC_BENCH_SOURCE_DIR) + "/configs");
}

struct Inference {
  std::unique_ptr<xm::CodecModel> codec;
  torch::Tensor wave, codes;
};

Inference& inference() {
  static Inference s = [] {
    torch::manual_seed(0);
    Inference st;
    st.codec = xm::build_codec(YAML::Dump(config_of(g_model).model), {});
    st.codec->prepare_for_inference();
    st.codec->module().eval();
    const auto info = st.codec->info();
    const int64_t n = static_cast<int64_t>(kSeconds * static_cast<double>(info.sample_rate));
    st.wave = 0.1 * torch::randn({1, 1, st.codec->padded_length(n)});
    c10::InferenceMode guard;
    st.codes = st.codec->encode(st.wave);
    return st;
  }();
  return s;
}

template <typename F>
void run_rtf(benchmark::State& state, F&& f) {
  torch::set_num_threads(static_cast<int>(state.range(0)));
  state.SetLabel(g_model + " fp32");
  c10::InferenceMode guard;
  f();  // warm-up
  double total = 0.0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    total += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  state.counters["RTF"] = total / static_cast<double>(state.iterations()) / kSeconds;
  state.counters["threads"] = static_cast<double>(state.range(0));
}

void BM_Encode(benchmark::State& state) {
  auto& s = inference();
  run_rtf(state, [&] { benchmark::DoNotOptimize(s.codec->encode(s.wave)); });
}
BENCHMARK(BM_Encode)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3);

void BM_Decode(benchmark::State& state) {
  auto& s = inference();
  run_rtf(state, [&] { benchmark::DoNotOptimize(s.codec->decode(s.codes)); });
}
BENCHMARK(BM_Decode)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3);

// One training step of the recipe: D update on (y, ŷ.detach()), then G update against it.
void BM_TrainStep(benchmark::State& state) {
  torch::set_num_threads(static_cast<int>(state.range(0)));
  torch::manual_seed(0);
  const xt::TrainingConfig cfg = config_of(g_train_model);
  xm::CodecBuildOptions build;
  build.training = true;
  auto codec = xm::build_codec(YAML::Dump(cfg.model), build);
  codec->prepare_for_training();
  codec->module().train();
  auto disc = xm::make_discriminator_set(cfg.discriminator);
  const auto gen_params = codec->module().parameters();
  const auto disc_params = disc->module().parameters();
  auto opt_g = xt::make_adamw(gen_params, cfg.train.gen_optimizer, cfg.train.gen_scheduler);
  auto opt_d = xt::make_adamw(disc_params, cfg.train.disc_optimizer, cfg.train.disc_scheduler);
  xt::WarmupLrScheduler sched_g(*opt_g, cfg.train.gen_scheduler);
  xt::WarmupLrScheduler sched_d(*opt_d, cfg.train.disc_scheduler);
  auto mel_opts = cfg.train.mel_loss;
  mel_opts.sample_rate = static_cast<double>(codec->info().sample_rate);
  const xcodec::losses::MultiResolutionMelLoss mel(mel_opts);
  const torch::Tensor y = 0.1 * torch::randn({g_batch, 1, cfg.dataset.min_audio_length});
  auto step = [&] {
    const auto out = codec->forward_train(y, torch::Tensor());
    opt_d->zero_grad();
    const auto real = disc->forward(out.target);
    const auto fake = disc->forward(out.recon.detach());
    const auto d = xcodec::losses::discriminator_adversarial_loss(real.logits, fake.logits);
    (d.total() * cfg.train.lambdas.at("disc")).backward();
    xt::clip_and_step(disc_params, cfg.train.disc_grad_clip, *opt_d, sched_d);
    for (auto p : disc_params) p.requires_grad_(false);
    opt_g->zero_grad();
    xt::generator_loss(cfg.train, mel, out, disc.get()).total.backward();
    xt::clip_and_step(gen_params, cfg.train.gen_grad_clip, *opt_g, sched_g);
    for (auto p : disc_params) p.requires_grad_(true);
  };
  step();  // warm-up
  double total = 0.0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    step();
    total += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  state.SetLabel(g_train_model + " batch " + std::to_string(g_batch) + " x " +
                 std::to_string(cfg.dataset.min_audio_length) + " samples");
  state.counters["steps_per_s"] = static_cast<double>(state.iterations()) / total;
  state.counters["threads"] = static_cast<double>(state.range(0));
}
BENCHMARK(BM_TrainStep)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(5);

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--model=", 0) == 0) {
      g_model = a.substr(8);
    } else if (a.rfind("--train-model=", 0) == 0) {
      g_train_model = a.substr(14);
    } else if (a.rfind("--batch=", 0) == 0) {
      g_batch = std::stoll(a.substr(8));
    } else {
      rest.push_back(argv[i]);
    }
  }
  xcodec::tune_allocator_for_inference();
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
