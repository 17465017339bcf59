#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "xcodec/core/error.h"
#include "xcodec/losses/mel_loss.h"

namespace xcodec::losses {
namespace {

using xcodec::testing::fixture_path;
using xcodec::testing::load_fixture;

nlohmann::json mel_values() {
  std::ifstream in(fixture_path("training-refs/values.json"));
  return nlohmann::json::parse(in)["mel_loss"];
}

class MelLossParity : public xcodec::testing::SeededTest {};

TEST_F(MelLossParity, DefaultsAreTheOriginalSettings) {
  const auto v = mel_values();
  const MultiResolutionMelLossOptions o;
  EXPECT_EQ(o.n_mels, v["n_mels"].get<std::vector<int64_t>>());
  EXPECT_EQ(o.window_lengths, v["window_lengths"].get<std::vector<int64_t>>());
  EXPECT_EQ(o.clamp_eps, v["clamp_eps"].get<double>());
  EXPECT_EQ(o.pow, v["pow"].get<double>());
  EXPECT_EQ(o.sample_rate, 16000);
}

TEST_F(MelLossParity, SpectrogramsMatchTheReference) {
  const MultiResolutionMelLoss loss;
  const auto y = load_fixture("training-refs/y.npy");
  const auto y_hat = load_fixture("training-refs/y_hat.npy");
  ASSERT_EQ(loss.num_resolutions(), 7u);
  for (size_t i = 0; i < 7; ++i) {
    SCOPED_TRACE("resolution " + std::to_string(i));
    for (const auto& [name, x] :
         {std::pair<std::string, torch::Tensor>{"y", y}, {"y_hat", y_hat}}) {
      const auto want =
          load_fixture("training-refs/mel_" + std::to_string(i) + "_" + name + ".npy");
      const auto got = loss.mel(i, x);
      const double atol = 1e-5 * std::max(1.0, want.abs().max().item<double>());
      EXPECT_TENSOR_CLOSE(got, want, atol, 1e-4) << name;
    }
  }
}

TEST_F(MelLossParity, LossMatchesTheReferenceValues) {
  const auto v = mel_values();
  const MultiResolutionMelLoss loss;
  const auto y = load_fixture("training-refs/y.npy");
  const auto y_hat = load_fixture("training-refs/y_hat.npy");
  const auto result = loss(y_hat, y);
  const auto want = v["per_scale"].get<std::vector<double>>();
  ASSERT_EQ(result.per_scale.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(result.per_scale[i].item<double>(), want[i], 1e-5 * want[i]) << "scale " << i;
  EXPECT_NEAR(result.total.item<double>(), v["total"].get<double>(),
              1e-5 * v["total"].get<double>());
  // [B, 1, T] inputs give the same value; float64 agrees with the float64 reference to 1e-7
  // relative (the reference cast torchaudio's float32-built filter banks to float64; ours are
  // computed in float64).
  const auto again = loss(y_hat.unsqueeze(1), y.unsqueeze(1));
  EXPECT_EQ(again.total.item<double>(), result.total.item<double>());
  const auto f64 = loss(y_hat.to(torch::kFloat64), y.to(torch::kFloat64));
  EXPECT_NEAR(f64.total.item<double>(), 2.003312225909236, 1e-7 * 2.003312225909236);
}

TEST_F(MelLossParity, IsZeroForEqualInputsAndDifferentiable) {
  const MultiResolutionMelLoss loss;
  const auto y = torch::randn({2, 4000}) * 0.1;
  EXPECT_EQ(loss(y, y).total.item<double>(), 0.0);
  const auto y_hat = (y + 0.01 * torch::randn_like(y)).requires_grad_(true);
  const auto value = loss(y_hat, y).total;
  value.backward();
  EXPECT_GT(value.item<double>(), 0.0);
  EXPECT_TRUE(torch::isfinite(y_hat.grad()).all().item<bool>());
  EXPECT_GT(y_hat.grad().abs().sum().item<double>(), 0.0);
}

TEST_F(MelLossParity, HalfPrecisionInputIsComputedInFloat32) {
  const MultiResolutionMelLoss loss;
  const auto y = load_fixture("training-refs/y.npy");
  const auto y_hat = load_fixture("training-refs/y_hat.npy");
  const auto ref = loss(y_hat, y).total.item<double>();
  const auto bf16 = loss(y_hat.to(torch::kBFloat16), y.to(torch::kBFloat16)).total;
  EXPECT_EQ(bf16.scalar_type(), torch::kFloat32);
  EXPECT_NEAR(bf16.item<double>(), ref, 0.05 * ref);  // only the bf16 rounding of the input
}

TEST_F(MelLossParity, RejectsMismatchedInputsAndOptions) {
  const MultiResolutionMelLoss loss;
  EXPECT_THROW(loss(torch::zeros({1, 4000}), torch::zeros({1, 4001})), ShapeError);
  EXPECT_THROW(loss(torch::zeros({1, 2, 4000}), torch::zeros({1, 2, 4000})), ShapeError);
  MultiResolutionMelLossOptions bad;
  bad.n_mels = {5};
  EXPECT_THROW(MultiResolutionMelLoss{bad}, ConfigError);
}

}  // namespace
}  // namespace xcodec::losses
