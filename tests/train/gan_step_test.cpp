// The training pieces composed the way the X-Codec-2.0 step uses them (spec §11.2), on a toy
// "generator" (a learnable waveform): discriminator update, then generator update with the
// just-updated discriminators, each with its own AdamW, WarmupLR and gradient clipping.
#include <torch/torch.h>

#include "support/test_support.h"
#include "xcodec/losses/gan_loss.h"
#include "xcodec/losses/mel_loss.h"
#include "xcodec/models/discriminators/discriminators.h"
#include "xcodec/train/config/training_config.h"
#include "xcodec/train/lr_schedule.h"

namespace xcodec::train {
namespace {

class GanStep : public xcodec::testing::SeededTest {};

TEST_F(GanStep, MelLossFallsWhileBothOptimisersStep) {
  const torch::Tensor y = xcodec::testing::load_fixture("training-refs/y.npy")
                              .slice(1, 8000, 12000)
                              .unsqueeze(1);  // [1, 1, 4000]
  TrainConfig cfg;
  cfg.gen_scheduler.warmup_step = 2;
  cfg.gen_scheduler.down_step = 4;
  cfg.gen_scheduler.max_lr = 5e-3;
  cfg.gen_scheduler.init_lr = 2e-3;
  cfg.gen_scheduler.min_lr = 4e-3;
  cfg.disc_scheduler = cfg.gen_scheduler;

  models::DiscriminatorsConfig dcfg;
  dcfg.mpd = models::MultiPeriodDiscriminatorOptions::small();
  dcfg.mstft = models::SpecDiscriminatorOptions::small();
  dcfg.mstft.stft_params.fft_sizes = {78, 206, 542};
  dcfg.mstft.stft_params.hop_sizes = {39, 103, 271};
  dcfg.mstft.stft_params.win_lengths = {78, 206, 542};
  models::Discriminators disc(dcfg);
  torch::Tensor generated = (0.05 * torch::randn_like(y)).requires_grad_(true);

  auto gen_opt = make_adamw({generated}, cfg.gen_optimizer, cfg.gen_scheduler);
  auto disc_opt = make_adamw(disc->parameters(), cfg.disc_optimizer, cfg.disc_scheduler);
  WarmupLrScheduler gen_sched(*gen_opt, cfg.gen_scheduler);
  WarmupLrScheduler disc_sched(*disc_opt, cfg.disc_scheduler);
  const losses::MultiResolutionMelLoss mel_loss(cfg.mel_loss);

  double first_mel = 0, last_mel = 0;
  for (int step = 0; step < 15; ++step) {
    // Discriminator step on (y, ŷ.detach()).
    const auto real = disc->forward(y);
    const auto fake_d = disc->forward(generated.detach());
    const auto l_d = cfg.lambdas.at("disc") *
                     losses::discriminator_adversarial_loss(real.logits, fake_d.logits).total();
    disc_opt->zero_grad();
    l_d.backward();
    torch::nn::utils::clip_grad_norm_(disc->parameters(), cfg.disc_grad_clip);
    disc_opt->step();
    disc_sched.step();

    // Generator step: discriminator frozen, real features without gradients.
    for (auto& p : disc->parameters()) p.requires_grad_(false);
    const auto fake = disc->forward(generated);
    models::DiscriminatorOutputs real_ng;
    {
      torch::NoGradGuard no_grad;
      real_ng = disc->forward(y);
    }
    const auto mel = mel_loss(generated, y).total;
    const auto l_g = cfg.lambdas.at("mel") * mel +
                     cfg.lambdas.at("adv") * losses::generator_adversarial_loss(fake.logits).total +
                     cfg.lambdas.at("feat") *
                         losses::feature_matching_loss(fake.feature_maps, real_ng.feature_maps);
    gen_opt->zero_grad();
    l_g.backward();
    torch::nn::utils::clip_grad_norm_(std::vector<torch::Tensor>{generated}, cfg.gen_grad_clip);
    gen_opt->step();
    gen_sched.step();
    for (auto& p : disc->parameters()) p.requires_grad_(true);

    ASSERT_TRUE(std::isfinite(l_g.item<double>())) << step;
    ASSERT_TRUE(std::isfinite(l_d.item<double>())) << step;
    if (step == 0) first_mel = mel.item<double>();
    last_mel = mel.item<double>();
  }
  EXPECT_LT(last_mel, 0.8 * first_mel) << "first " << first_mel << " last " << last_mel;
  std::printf("[gan step] mel loss %.4f -> %.4f over 15 steps\n", first_mel, last_mel);
  EXPECT_EQ(gen_sched.steps_taken(), 15);
  EXPECT_DOUBLE_EQ(disc_opt->param_groups()[0].options().get_lr(), 4e-3);
}

}  // namespace
}  // namespace xcodec::train
