// Training health (train/training_health.h): usage, perplexity, saturation and the collapse
// alarm, on hand-made codes.
#include "xcodec/train/training_health.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace xt = xcodec::train;

namespace {
// [B, 1, T] codes cycling through `distinct` values per utterance.
torch::Tensor cycling_codes(int64_t batch, int64_t frames, int64_t distinct) {
  return (torch::arange(frames).remainder(distinct)).view({1, 1, frames}).repeat({batch, 1, 1});
}
}  // namespace

TEST(TrainingHealth, CodeStatisticsByHand) {
  // Utterance 0: codes 0 0 1 1; utterance 1: 2 2 2 2 → histogram {2, 2, 4}.
  const torch::Tensor codes = torch::tensor({0, 0, 1, 1, 2, 2, 2, 2}).view({2, 1, 4});
  const auto s = xt::code_statistics(codes, 16);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].distinct_codes, 3);
  EXPECT_DOUBLE_EQ(s[0].usage, 3.0 / 16);
  EXPECT_DOUBLE_EQ(s[0].codes_per_utterance, 1.5);
  const double h = -(0.25 * std::log(0.25) * 2 + 0.5 * std::log(0.5));
  EXPECT_NEAR(s[0].perplexity, std::exp(h), 1e-12);
}

TEST(TrainingHealth, SaturationAndInputMagnitude) {
  xt::TrainingHealth health({}, 8);
  // Half the inputs far out on the tanh (saturated), half at zero.
  const torch::Tensor z = torch::cat({torch::full({1, 4, 2}, 50.0), torch::zeros({1, 4, 2})}, 1);
  health.observe_batch(cycling_codes(1, 8, 4), z);
  const auto r = health.report();
  ASSERT_EQ(r.quantizers.size(), 1u);
  EXPECT_DOUBLE_EQ(r.quantizers[0].saturation, 0.5);
  EXPECT_DOUBLE_EQ(r.quantizers[0].input_abs_mean, 25.0);
  EXPECT_DOUBLE_EQ(r.quantizers[0].codes_per_utterance, 4.0);
  EXPECT_FALSE(r.collapsed);
}

TEST(TrainingHealth, OneCodePerUtteranceRaisesTheAlarmAfterPatience) {
  xt::HealthConfig cfg;
  cfg.patience = 2;
  cfg.grace_intervals = 1;
  xt::TrainingHealth health(cfg, 256);
  health.observe_batch(cycling_codes(2, 50, 1), {});  // grace interval: not judged
  EXPECT_FALSE(health.report().collapsed);
  // One code from small, live inputs: a fresh model, not (yet) a collapse.
  health.observe_batch(cycling_codes(2, 50, 1), torch::full({2, 50, 4}, 0.05));
  health.observe_encoder_grad_norm(0.2);
  EXPECT_FALSE(health.report().collapsed);
  health.observe_batch(cycling_codes(2, 50, 1), torch::full({2, 50, 4}, 7600.0));
  auto r = health.report();
  EXPECT_TRUE(r.collapsed);
  EXPECT_FALSE(r.alarm);
  EXPECT_NE(r.diagnosis.find("distinct codes per utterance"), std::string::npos) << r.diagnosis;
  EXPECT_NE(r.diagnosis.find("saturated"), std::string::npos) << r.diagnosis;
  EXPECT_NE(r.diagnosis.find("learning rate"), std::string::npos) << r.diagnosis;
  health.observe_batch(cycling_codes(2, 50, 1), torch::full({2, 50, 4}, -300.0));
  r = health.report();
  EXPECT_TRUE(r.alarm);
  EXPECT_EQ(r.collapsed_intervals, 2);
  // Recovery resets the count.
  health.observe_batch(cycling_codes(2, 50, 30), {});
  r = health.report();
  EXPECT_FALSE(r.collapsed);
  EXPECT_EQ(r.collapsed_intervals, 0);
  // Once alive, falling back to one code is collapse even with small inputs.
  health.observe_batch(cycling_codes(2, 50, 1), torch::full({2, 50, 4}, 0.05));
  EXPECT_TRUE(health.report().collapsed);
}

TEST(TrainingHealth, UsageFarBelowItsBestAndAZeroEncoderGradientAreCollapse) {
  xt::HealthConfig cfg;
  cfg.grace_intervals = 0;
  xt::TrainingHealth health(cfg, 1024);
  health.observe_batch(torch::arange(200).view({4, 1, 50}), {});  // 200 distinct codes
  health.observe_encoder_grad_norm(0.3);
  EXPECT_FALSE(health.report().collapsed);
  health.observe_batch(cycling_codes(4, 50, 3), {});  // 3 per utterance but 3 in all: < 5 %
  EXPECT_TRUE(health.report().collapsed);
  health.observe_batch(torch::arange(200).view({4, 1, 50}), {});
  health.observe_encoder_grad_norm(0.0);
  health.observe_encoder_grad_norm(0.0);
  const auto r = health.report();
  EXPECT_TRUE(r.encoder_grad_zero);
  EXPECT_TRUE(r.collapsed);
  EXPECT_NE(r.diagnosis.find("gradient is exactly zero"), std::string::npos) << r.diagnosis;
}

// Codes still vary, but every input sits on the flat part of the bound (|z| in the thousands):
// only the extreme levels are used and the encoder barely learns. That is collapse too.
TEST(TrainingHealth, SaturatedInputsAreCollapseEvenWithSeveralCodes) {
  xt::HealthConfig cfg;
  cfg.grace_intervals = 0;
  xt::TrainingHealth health(cfg, 65536);
  health.observe_batch(cycling_codes(2, 50, 8), torch::full({2, 50, 8}, 3000.0));
  health.observe_encoder_grad_norm(50.0);
  const auto r = health.report();
  EXPECT_TRUE(r.collapsed);
  EXPECT_NE(r.diagnosis.find("saturated (mean |z| 3000)"), std::string::npos) << r.diagnosis;
  cfg.max_saturation = 1.0;  // the test switched off
  xt::TrainingHealth lenient(cfg, 65536);
  lenient.observe_batch(cycling_codes(2, 50, 8), torch::full({2, 50, 8}, 3000.0));
  EXPECT_FALSE(lenient.report().collapsed);
}

TEST(TrainingHealth, RejectsCodesOutsideTheCodebook) {
  xt::TrainingHealth health({}, 4);
  EXPECT_ANY_THROW(health.observe_batch(torch::full({1, 1, 3}, 4), {}));
}
