#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "xcodec/core/error.h"
#include "xcodec/io/safetensors.h"
#include "xcodec/losses/gan_loss.h"
#include "xcodec/losses/semantic_loss.h"
#include "xcodec/losses/stft_loss.h"
#include "xcodec/models/discriminators/multi_period_discriminator.h"
#include "xcodec/models/discriminators/spec_discriminator.h"

namespace xcodec::losses {
namespace {

using xcodec::testing::fixture_path;
using xcodec::testing::load_fixture;

nlohmann::json training_values() {
  std::ifstream in(fixture_path("training-refs/values.json"));
  return nlohmann::json::parse(in);
}

void load_weights(torch::nn::Module& module, const std::string& file) {
  const auto st = io::SafetensorsFile::open(file);
  torch::NoGradGuard no_grad;
  for (auto& item : module.named_parameters()) item.value().copy_(st->tensor(item.key()));
}

// Checks the LSGAN and feature-matching losses of one discriminator family against values.json,
// computed as the original training step does (real side without gradients).
void check_family(const models::DiscriminatorOutputs& real,
                  const models::DiscriminatorOutputs& fake, const nlohmann::json& want) {
  const auto d = discriminator_adversarial_loss(real.logits, fake.logits);
  const auto real_per = want["real_loss_per_disc"].get<std::vector<double>>();
  const auto fake_per = want["fake_loss_per_disc"].get<std::vector<double>>();
  ASSERT_EQ(d.real_per_disc.size(), real_per.size());
  for (size_t k = 0; k < real_per.size(); ++k) {
    EXPECT_NEAR(d.real_per_disc[k].item<double>(), real_per[k], 1e-5 * real_per[k]) << k;
    EXPECT_NEAR(d.fake_per_disc[k].item<double>(), fake_per[k], 1e-5 * fake_per[k] + 1e-9) << k;
  }
  const double real_loss = want["real_loss"].get<double>();
  const double fake_loss = want["fake_loss"].get<double>();
  EXPECT_NEAR(d.real.item<double>(), real_loss, 1e-5 * real_loss);
  EXPECT_NEAR(d.fake.item<double>(), fake_loss, 1e-5 * fake_loss);
  EXPECT_NEAR(d.total().item<double>(), real_loss + fake_loss, 1e-5 * (real_loss + fake_loss));

  const auto g = generator_adversarial_loss(fake.logits);
  const auto adv_per = want["adv_loss_per_disc"].get<std::vector<double>>();
  for (size_t k = 0; k < adv_per.size(); ++k)
    EXPECT_NEAR(g.per_disc[k].item<double>(), adv_per[k], 1e-5 * adv_per[k]) << k;
  const double adv = want["adv_loss"].get<double>();
  EXPECT_NEAR(g.total.item<double>(), adv, 1e-5 * adv);

  const double fm = want["feature_matching_loss"].get<double>();
  EXPECT_NEAR(feature_matching_loss(fake.feature_maps, real.feature_maps).item<double>(), fm,
              1e-5 * fm);
}

class GanLossParity : public xcodec::testing::SeededTest {};

TEST_F(GanLossParity, MultiPeriodLossesMatchTheReference) {
  models::MultiPeriodDiscriminator mpd(models::MultiPeriodDiscriminatorOptions::small());
  load_weights(*mpd, fixture_path("training-refs/mpd_small.safetensors"));
  torch::NoGradGuard no_grad;
  const auto y = load_fixture("training-refs/y.npy").unsqueeze(1);
  const auto y_hat = load_fixture("training-refs/y_hat.npy").unsqueeze(1);
  check_family(mpd->forward(y), mpd->forward(y_hat), training_values()["mpd_small"]["losses"]);
}

TEST_F(GanLossParity, SpectralLossesMatchTheReference) {
  models::SpecDiscriminator disc(models::SpecDiscriminatorOptions::small());
  load_weights(*disc, fixture_path("training-refs/specdisc_small.safetensors"));
  torch::NoGradGuard no_grad;
  const auto y = load_fixture("training-refs/y.npy").unsqueeze(1);
  const auto y_hat = load_fixture("training-refs/y_hat.npy").unsqueeze(1);
  check_family(disc->forward(y), disc->forward(y_hat),
               training_values()["specdisc_small"]["losses"]);
}

TEST(GanLoss, LeastSquaresFormulasOnHandValues) {
  const std::vector<torch::Tensor> real{torch::tensor({1.0, 3.0}), torch::tensor({{0.0}})};
  const std::vector<torch::Tensor> fake{torch::tensor({0.5, -0.5}), torch::tensor({{2.0}})};
  const auto d = discriminator_adversarial_loss(real, fake);
  EXPECT_DOUBLE_EQ(d.real_per_disc[0].item<double>(), 2.0);  // (0 + 4) / 2
  EXPECT_DOUBLE_EQ(d.real_per_disc[1].item<double>(), 1.0);
  EXPECT_DOUBLE_EQ(d.fake_per_disc[0].item<double>(), 0.25);
  EXPECT_DOUBLE_EQ(d.fake_per_disc[1].item<double>(), 4.0);
  EXPECT_DOUBLE_EQ(d.total().item<double>(), 7.25);
  const auto g = generator_adversarial_loss(fake);
  EXPECT_DOUBLE_EQ(g.total.item<double>(), (0.25 + 2.25) / 2 + 1.0);
  EXPECT_THROW(discriminator_adversarial_loss(real, {fake[0]}), ShapeError);
  EXPECT_THROW(generator_adversarial_loss({}), ShapeError);
}

TEST(GanLoss, FeatureMatchingSumsLayerMeansAndDetachesReal) {
  const auto r0 = torch::zeros({2, 2}).requires_grad_(true);
  const auto f0 = torch::tensor({{1.0, -1.0}, {1.0, 3.0}}).requires_grad_(true);
  const auto r1 = torch::ones({3}).requires_grad_(true);
  const auto f1 = torch::full({3}, 2.0).requires_grad_(true);
  const auto loss = feature_matching_loss({{f0}, {f1}}, {{r0}, {r1}});
  EXPECT_DOUBLE_EQ(loss.item<double>(), 1.5 + 1.0);
  loss.backward();
  EXPECT_FALSE(r0.grad().defined());
  EXPECT_TRUE(f0.grad().defined());
  EXPECT_THROW(feature_matching_loss({{f0}}, {{r1}}), ShapeError);
  EXPECT_THROW(feature_matching_loss({{f0, f0}}, {{r0}}), ShapeError);
}

TEST(SemanticLoss, IsMeanSquaredErrorWithDetachedTarget) {
  const auto pred = torch::tensor({{1.0, 2.0}, {3.0, 4.0}}).requires_grad_(true);
  const auto target = torch::tensor({{1.0, 0.0}, {3.0, 6.0}}).requires_grad_(true);
  const auto loss = semantic_reconstruction_loss(pred, target);
  EXPECT_DOUBLE_EQ(loss.item<double>(), (4.0 + 4.0) / 4);
  loss.backward();
  EXPECT_FALSE(target.grad().defined());
  EXPECT_THROW(semantic_reconstruction_loss(pred, torch::zeros({2, 3})), ShapeError);
}

TEST(StftLoss, ZeroForEqualSignalsPositiveOtherwise) {
  torch::manual_seed(3);
  MultiResolutionStftLossOptions o;
  o.fft_sizes = {64, 128};
  o.hop_sizes = {16, 32};
  o.win_lengths = {48, 128};
  const auto y = torch::randn({2, 2000});
  const auto same = multi_resolution_stft_loss(y, y, o);
  EXPECT_NEAR(same.total.item<double>(), 0.0, 1e-7);
  const auto y_hat = (0.5 * y).requires_grad_(true);
  const auto diff = multi_resolution_stft_loss(y_hat, y, o);
  // Halving the signal: spectral convergence 0.5, log magnitude |ln 0.5| (above the clamp).
  EXPECT_NEAR(diff.spectral_convergence.item<double>(), 0.5, 1e-3);
  EXPECT_NEAR(diff.log_magnitude.item<double>(), std::log(2.0), 2e-2);
  diff.total.backward();
  EXPECT_TRUE(torch::isfinite(y_hat.grad()).all().item<bool>());
  o.win_lengths = {48};
  EXPECT_THROW(multi_resolution_stft_loss(y, y, o), ConfigError);
}

}  // namespace
}  // namespace xcodec::losses
