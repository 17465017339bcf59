// Cost of the training-only pieces per 6 s crop ([1, 96000] at 16 kHz): the multi-resolution
// mel loss and the two discriminator families (forward, and forward + backward as in the
// generator step), at the X-Codec-2.0 sizes and at the small/tiny sizes.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "xcodec/losses/gan_loss.h"
#include "xcodec/losses/mel_loss.h"
#include "xcodec/models/discriminators/multi_period_discriminator.h"
#include "xcodec/models/discriminators/spec_discriminator.h"

namespace {

constexpr int64_t kCrop = 96000;

void BM_MelLossForwardBackward(benchmark::State& state) {
  torch::manual_seed(0);
  const xcodec::losses::MultiResolutionMelLoss loss;
  const auto y = torch::randn({state.range(0), kCrop}) * 0.1;
  for (auto _ : state) {
    const auto y_hat = (y * 0.9).requires_grad_(true);
    loss(y_hat, y).total.backward();
    benchmark::DoNotOptimize(y_hat.grad());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

template <class Disc, class Options>
void run_discriminator(benchmark::State& state, Options options, bool backward) {
  torch::manual_seed(0);
  Disc disc(options);
  const auto y = torch::randn({state.range(0), 1, kCrop}) * 0.1;
  for (auto _ : state) {
    if (backward) {
      const auto y_hat = y.clone().requires_grad_(true);
      const auto out = disc->forward(y_hat);
      xcodec::losses::generator_adversarial_loss(out.logits).total.backward();
      benchmark::DoNotOptimize(y_hat.grad());
    } else {
      torch::NoGradGuard no_grad;
      benchmark::DoNotOptimize(disc->forward(y));
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_MpdForward(benchmark::State& state) {
  run_discriminator<xcodec::models::MultiPeriodDiscriminator>(
      state, xcodec::models::MultiPeriodDiscriminatorOptions{}, false);
}
void BM_MpdForwardBackward(benchmark::State& state) {
  run_discriminator<xcodec::models::MultiPeriodDiscriminator>(
      state, xcodec::models::MultiPeriodDiscriminatorOptions{}, true);
}
void BM_MpdSmallForwardBackward(benchmark::State& state) {
  run_discriminator<xcodec::models::MultiPeriodDiscriminator>(
      state, xcodec::models::MultiPeriodDiscriminatorOptions::small(), true);
}
void BM_SpecDiscForward(benchmark::State& state) {
  run_discriminator<xcodec::models::SpecDiscriminator>(
      state, xcodec::models::SpecDiscriminatorOptions{}, false);
}
void BM_SpecDiscForwardBackward(benchmark::State& state) {
  run_discriminator<xcodec::models::SpecDiscriminator>(
      state, xcodec::models::SpecDiscriminatorOptions{}, true);
}
void BM_SpecDiscSmallForwardBackward(benchmark::State& state) {
  run_discriminator<xcodec::models::SpecDiscriminator>(
      state, xcodec::models::SpecDiscriminatorOptions::small(), true);
}

}  // namespace

BENCHMARK(BM_MelLossForwardBackward)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MpdForward)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MpdForwardBackward)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MpdSmallForwardBackward)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SpecDiscForward)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SpecDiscForwardBackward)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SpecDiscSmallForwardBackward)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
