// DwanCodec's multi-resolution STFT loss (spec quantizers-and-variants.md §5.4) on inputs whose
// value follows from the definition: equal signals, scaled copies, silence.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "support/test_support.h"
#include "xcodec/core/error.h"
#include "xcodec/losses/stft_loss.h"

namespace xl = xcodec::losses;
using xcodec::testing::SeededTest;

namespace {
xl::StftLossResult dwan_loss(const torch::Tensor& y_hat, const torch::Tensor& y) {
  return xl::multi_resolution_stft_loss(y_hat, y, xl::MultiResolutionStftLossOptions::dwan());
}
}  // namespace

// Seeded (SeededTest), named so that --gtest_filter='Dwan*:HifiGan*' selects it.
class DwanStftLossTest : public SeededTest {};

TEST_F(DwanStftLossTest, IsZeroForEqualSignals) {
  const torch::Tensor y = torch::randn({2, 1, 8000});
  const auto r = dwan_loss(y, y);
  EXPECT_EQ(r.total.item<float>(), 0.0f);
  EXPECT_EQ(dwan_loss(y.squeeze(1), y.squeeze(1)).total.item<float>(), 0.0f);
}

// ŷ = 2y: |X| + ε ≈ 2(|Y| + ε) wherever |Y| ≫ ε, so SC = 1 and the log term = ln 2 at every
// resolution: loss = 1 + ln 2.
TEST_F(DwanStftLossTest, OfAScaledCopy) {
  const torch::Tensor y = torch::randn({2, 1, 8000});
  const auto r = dwan_loss(2.0 * y, y);
  EXPECT_NEAR(r.spectral_convergence.item<double>(), 1.0, 1e-5);
  EXPECT_NEAR(r.log_magnitude.item<double>(), std::log(2.0), 1e-4);
  EXPECT_NEAR(r.total.item<double>(), 1.0 + std::log(2.0), 1e-4);
}

// SC over the whole batch tensor: with utterance 0 scaled by 2 and utterance 1 exact (same
// signal), SC = ‖Y‖ / √(2‖Y‖²) = 1/√2 (a per-utterance mean would give 0.5); the log term is
// the mean of ln 2 and 0.
TEST_F(DwanStftLossTest, SpectralConvergenceSpansTheBatch) {
  const torch::Tensor one = torch::randn({1, 1, 8000});
  const torch::Tensor y = torch::cat({one, one});
  const torch::Tensor y_hat = torch::cat({2.0 * one, one});
  const auto r = dwan_loss(y_hat, y);
  EXPECT_NEAR(r.spectral_convergence.item<double>(), 1.0 / std::sqrt(2.0), 1e-5);
  EXPECT_NEAR(r.log_magnitude.item<double>(), std::log(2.0) / 2.0, 1e-4);
}

// The epsilon is added, not clamped: silence gives finite values and gradients.
TEST_F(DwanStftLossTest, OnSilenceIsFinite) {
  const torch::Tensor y = torch::zeros({1, 1, 4096});
  const torch::Tensor y_hat = torch::zeros({1, 1, 4096}, torch::requires_grad());
  const torch::Tensor loss = dwan_loss(y_hat, y).total;
  EXPECT_EQ(loss.item<float>(), 0.0f);
  loss.backward();
  EXPECT_TRUE(torch::isfinite(y_hat.grad()).all().item<bool>());
}

TEST(DwanStftLoss, OptionsAndShapes) {
  const auto o = xl::MultiResolutionStftLossOptions::dwan();
  EXPECT_EQ(o.fft_sizes, (std::vector<int64_t>{512, 1024, 2048}));
  EXPECT_EQ(o.hop_sizes, (std::vector<int64_t>{120, 240, 480}));
  EXPECT_EQ(o.win_lengths, (std::vector<int64_t>{512, 1024, 2048}));
  EXPECT_EQ(o.magnitude, "add");
  xl::MultiResolutionStftLossOptions back;
  back.from_yaml(o.to_yaml());
  EXPECT_EQ(back, o);
  EXPECT_THROW(dwan_loss(torch::zeros({1, 1, 4000}), torch::zeros({1, 1, 4001})),
               xcodec::ShapeError);
  auto bad = o;
  bad.magnitude = "abs";
  EXPECT_THROW(bad.validate(), xcodec::ConfigError);
  // The clamped (Parallel WaveGAN) magnitude differs from the added one near silence.
  const torch::Tensor quiet = 1e-6 * torch::randn({1, 1, 4096});
  auto clamp = o;
  clamp.magnitude = "clamp";
  EXPECT_NE(xl::multi_resolution_stft_loss(quiet, 2 * quiet, clamp).total.item<double>(),
            dwan_loss(quiet, 2 * quiet).total.item<double>());
}
