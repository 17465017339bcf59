// The fused CPU kernel of Activation1d against the literal ops, and its vectorised sin.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <vector>

#include "support/test_support.h"
#include "xcodec/core/error.h"
#include "xcodec/models/layers/activation1d.h"
#include "xcodec/models/layers/snake_activation_kernel.h"

namespace xm = xcodec::models;

namespace {

class Activation1dFused : public xcodec::testing::SeededTest {};

xm::Activation1d random_activation(int64_t channels) {
  xm::Activation1d act(xm::Activation1dOptions{channels});
  torch::NoGradGuard ng;
  act->act->alpha.uniform_(-1.0, 1.0);
  act->act->beta.uniform_(-1.0, 1.0);
  return act;
}

xm::kernels::SnakeAntiAliasTaps random_taps() {
  xm::kernels::SnakeAntiAliasTaps taps{};
  const torch::Tensor f = torch::rand({24}) - 0.3;
  for (int t = 0; t < 6; ++t) {
    taps.up_even[t] = f[t].item<float>();
    taps.up_odd[t] = f[6 + t].item<float>();
    taps.down_even[t] = f[12 + t].item<float>();
    taps.down_odd[t] = f[18 + t].item<float>();
  }
  return taps;
}

TEST_F(Activation1dFused, MatchesReference) {
  for (const int64_t c : {1, 3, 48}) {
    xm::Activation1d act = random_activation(c);
    for (const int64_t len : {1, 2, 3, 5, 7, 64, 1001}) {
      for (const double amplitude : {1.0, 30.0}) {
        const torch::Tensor x = amplitude * torch::randn({2, c, len});
        torch::NoGradGuard ng;
        const torch::Tensor want = act->forward_reference(x);
        EXPECT_TENSOR_CLOSE(act->forward_fused(x), want, 1e-5 * amplitude, 1e-5)
            << "C=" << c << " L=" << len << " amplitude=" << amplitude;
      }
    }
  }
}

// Large inputs: sin(scale·v) is ill-conditioned there (the phases differ from the reference
// by float rounding), so only the scale of the error is checked; the sin beyond the fast range
// is checked exactly in KernelSnakeMatchesDouble.
TEST_F(Activation1dFused, HugeInputs) {
  xm::Activation1d act = random_activation(4);
  const torch::Tensor x = 1e6 * torch::randn({1, 4, 300});
  torch::NoGradGuard ng;
  const torch::Tensor got = act->forward_fused(x);
  EXPECT_TRUE(torch::isfinite(got).all().item<bool>());
  EXPECT_TENSOR_CLOSE(got, act->forward_reference(x), 10.0, 0.0);
}

// With one-hot taps the kernel's output is the snake of the input itself, which isolates the
// snake and its sin (both in and beyond the fast range) from the filters.
TEST(Activation1dKernel, SnakeMatchesDouble) {
  xm::kernels::SnakeAntiAliasTaps taps{};
  taps.up_odd[2] = 1.0f;    // O[i] = x[i]
  taps.down_odd[3] = 1.0f;  // y[i] = snake(O[i])
  std::vector<float> x;
  for (int i = 0; i < 20000; ++i) x.push_back(static_cast<float>(i - 10000) * 0.013f);
  for (int i = 0; i < 20000; ++i) x.push_back(static_cast<float>(i - 10000) * 97.3f);
  const float scale = 1.3f;
  const float inv_beta = 0.7f;
  const int64_t n = static_cast<int64_t>(x.size());
  for (const auto row :
       {&xm::kernels::snake_anti_alias_row, &xm::kernels::snake_anti_alias_row_portable}) {
    std::vector<float> y(x.size());
    row(x.data(), n, 0, n, scale, inv_beta, taps, y.data());
    for (size_t i = 0; i < x.size(); ++i) {
      const double s = std::sin(static_cast<double>(x[i] * scale));
      const double want = x[i] + s * s * inv_beta;
      ASSERT_NEAR(y[i], want, 1e-6 * (1.0 + std::fabs(want))) << "x=" << x[i];
    }
  }
}

// The portable variant (no AVX2/FMA) agrees with the one this CPU uses.
TEST(Activation1dKernel, PortableVariantAgrees) {
  const xm::kernels::SnakeAntiAliasTaps taps = random_taps();
  for (const int64_t len : {1, 2, 7, 1001, 5000}) {
    const torch::Tensor x = 5.0 * torch::randn({len});
    torch::Tensor a = torch::empty({len});
    torch::Tensor b = torch::empty({len});
    xm::kernels::snake_anti_alias_row(x.data_ptr<float>(), len, 0, len, 2.1f, 0.4f, taps,
                                      a.data_ptr<float>());
    xm::kernels::snake_anti_alias_row_portable(x.data_ptr<float>(), len, 0, len, 2.1f, 0.4f, taps,
                                               b.data_ptr<float>());
    EXPECT_TENSOR_CLOSE(a, b, 1e-5, 1e-6) << "L=" << len;
  }
}

// The multi-row entry splits rows (and long rows in time) over threads; every split gives the
// bytes of the single-row kernel.
TEST(Activation1dKernel, RowsMatchSingleRowForEveryThreadCount) {
  xm::kernels::SnakeAntiAliasTaps taps{};
  for (int t = 0; t < 6; ++t) {
    taps.up_even[t] = 0.1f * static_cast<float>(t + 1);
    taps.up_odd[t] = -0.07f * static_cast<float>(t);
    taps.down_even[t] = 0.05f;
    taps.down_odd[t] = 0.02f * static_cast<float>(6 - t);
  }
  const std::vector<float> scale{0.5f, 1.7f, 3.0f};
  const std::vector<float> inv_beta{1.0f, 0.3f, 2.0f};
  for (const auto& [rows, len] : std::vector<std::pair<int64_t, int64_t>>{
           {1, 70000}, {2, 40000}, {6, 5000}, {7, 3}, {64, 300}}) {
    const torch::Tensor x = 2.0 * torch::randn({rows, len});
    torch::Tensor want = torch::empty_like(x);
    for (int64_t r = 0; r < rows; ++r) {
      xm::kernels::snake_anti_alias_row(x[r].data_ptr<float>(), len, 0, len, scale[r % 3],
                                        inv_beta[r % 3], taps, want[r].data_ptr<float>());
    }
    for (const int threads : {1, 2, 3, 8}) {
      torch::Tensor got = torch::full_like(x, std::numeric_limits<float>::quiet_NaN());
      xm::kernels::snake_anti_alias_rows(x.data_ptr<float>(), rows, len, 3, scale.data(),
                                         inv_beta.data(), taps, threads, got.data_ptr<float>());
      EXPECT_TRUE(torch::equal(got, want)) << rows << "x" << len << " threads=" << threads;
    }
  }
}

// bf16 rows (as bit patterns): input widened exactly, output rounded as LibTorch rounds, so
// every type pair equals the float32 kernel with conversions around it, bit for bit.
TEST(Activation1dKernel, Bf16RowsEqualConvertedFloatRows) {
  const xm::kernels::SnakeAntiAliasTaps taps = random_taps();
  const std::vector<float> scale{0.5f, 1.7f};
  const std::vector<float> inv_beta{1.0f, 0.3f};
  const int64_t rows = 4;
  const int64_t len = 3001;
  const torch::Tensor x_bf16 = (3.0 * torch::randn({rows, len})).to(torch::kBFloat16);
  const torch::Tensor x_f32 = x_bf16.to(torch::kFloat);
  torch::Tensor want = torch::empty_like(x_f32);
  xm::kernels::snake_anti_alias_rows(x_f32.data_ptr<float>(), rows, len, 2, scale.data(),
                                     inv_beta.data(), taps, 2, want.data_ptr<float>());
  using RT = xm::kernels::RowType;
  for (const bool in_bf16 : {false, true}) {
    for (const bool out_bf16 : {false, true}) {
      const torch::Tensor& x = in_bf16 ? x_bf16 : x_f32;
      torch::Tensor y = torch::empty({rows, len}, out_bf16 ? torch::kBFloat16 : torch::kFloat);
      xm::kernels::snake_anti_alias_rows(x.data_ptr(), in_bf16 ? RT::kBFloat16 : RT::kFloat32, rows,
                                         len, 2, scale.data(), inv_beta.data(), taps, 2,
                                         y.data_ptr(), out_bf16 ? RT::kBFloat16 : RT::kFloat32);
      EXPECT_TRUE(torch::equal(y, want.to(y.scalar_type())))
          << "in bf16 " << in_bf16 << ", out bf16 " << out_bf16;
    }
  }
  // NaN and infinities convert as LibTorch converts them.
  torch::Tensor special = torch::zeros({1, 64});
  special[0][10] = std::numeric_limits<float>::quiet_NaN();
  special[0][40] = std::numeric_limits<float>::infinity();
  torch::Tensor a = torch::empty({1, 64});
  torch::Tensor b = torch::empty({1, 64}, torch::kBFloat16);
  xm::kernels::snake_anti_alias_rows(special.data_ptr<float>(), 1, 64, 1, scale.data(),
                                     inv_beta.data(), taps, 1, a.data_ptr<float>());
  xm::kernels::snake_anti_alias_rows(special.data_ptr(), RT::kFloat32, 1, 64, 1, scale.data(),
                                     inv_beta.data(), taps, 1, b.data_ptr(), RT::kBFloat16);
  EXPECT_TRUE(torch::equal(torch::isnan(b), torch::isnan(a)));
  EXPECT_TRUE(torch::equal(b.nan_to_num(0.0), a.to(torch::kBFloat16).nan_to_num(0.0)));
}

TEST_F(Activation1dFused, ForwardAsWritesTheRequestedType) {
  xm::Activation1d act = random_activation(6);
  const torch::Tensor x = torch::randn({2, 6, 4100});
  torch::NoGradGuard ng;
  const torch::Tensor y = act->forward_as(x, torch::kBFloat16);
  EXPECT_EQ(y.scalar_type(), torch::kBFloat16);
  EXPECT_TRUE(torch::equal(y, act->forward(x).to(torch::kBFloat16)));
  const torch::Tensor xb = x.to(torch::kBFloat16);
  EXPECT_TRUE(
      torch::equal(act->forward(xb), act->forward(xb.to(torch::kFloat)).to(torch::kBFloat16)));
  EXPECT_TRUE(torch::equal(act->forward_as(xb, torch::kFloat), act->forward(xb.to(torch::kFloat))));
  // With grad mode on, the torch-op path converts afterwards.
  torch::GradMode::set_enabled(true);
  EXPECT_EQ(act->forward_as(x, torch::kBFloat16).scalar_type(), torch::kBFloat16);
  torch::GradMode::set_enabled(false);
}

#if defined(__GNUC__) && defined(__linux__)
// Without OpenMP the activations of the encoder run on one core whatever the thread setting
// (measured: the encoder's 36 activations took as long on two threads as on one).
TEST(Activation1dKernel, BuiltWithOpenMP) { EXPECT_TRUE(xm::kernels::snake_anti_alias_parallel()); }
#endif

TEST_F(Activation1dFused, ForwardTakesFusedPathWithoutGrad) {
  xm::Activation1d act = random_activation(5);
  const torch::Tensor x = torch::randn({3, 5, 333});
  {
    torch::NoGradGuard ng;
    EXPECT_TRUE(torch::equal(act->forward(x), act->forward_fused(x)));
    act->fold();
    EXPECT_TRUE(torch::equal(act->forward(x), act->forward_fused(x)));
    EXPECT_TENSOR_CLOSE(act->forward_fused(x), act->forward_polyphase(x), 1e-5, 1e-5);
    act->unfold();
  }
  // Grad mode and other dtypes use the LibTorch ops.
  EXPECT_THROW(act->forward_fused(x), xcodec::ShapeError);
  EXPECT_TRUE(act->forward(x).requires_grad());
  act->to(torch::kDouble);
  torch::NoGradGuard ng;
  const torch::Tensor xd = x.to(torch::kDouble);
  EXPECT_THROW(act->forward_fused(xd), xcodec::ShapeError);
  EXPECT_EQ(act->forward(xd).scalar_type(), torch::kDouble);
  EXPECT_TENSOR_CLOSE(act->forward(xd), act->forward_reference(xd), 1e-12, 1e-12);
}

// Rows and time pieces are spread over threads; the result must not change.
TEST_F(Activation1dFused, IndependentOfThreadCount) {
  const int threads = at::get_num_threads();
  for (const auto& shape : std::vector<std::vector<int64_t>>{{1, 1, 100003}, {2, 7, 5001}}) {
    xm::Activation1d act = random_activation(shape[1]);
    const torch::Tensor x = 3.0 * torch::randn(shape);
    torch::NoGradGuard ng;
    at::set_num_threads(1);
    const torch::Tensor one = act->forward_fused(x);
    at::set_num_threads(2);
    const torch::Tensor two = act->forward_fused(x);
    at::set_num_threads(threads);
    EXPECT_TENSOR_CLOSE(two, one, 1e-6, 0.0);
    EXPECT_TENSOR_CLOSE(one, act->forward_reference(x), 3e-5, 1e-5);
  }
}

// Error in units of the last place of the float nearest to the exact value.
double ulp_error(float got, double exact) {
  const float near = static_cast<float>(exact);
  const double ulp =
      std::nextafter(std::fabs(near), std::numeric_limits<float>::infinity()) - std::fabs(near);
  return std::fabs(static_cast<double>(got) - exact) / ulp;
}

TEST(SinApprox, FewUlpOverFastRange) {
  std::vector<float> x;
  for (int i = -200000; i <= 200000; ++i) x.push_back(static_cast<float>(i) * 1e-4f);  // ±20
  for (int i = 0; i < 400000; ++i) x.push_back(-1e5f + static_cast<float>(i) * 0.5f + 0.123f);
  for (int k = -31000; k <= 31000; k += 7) {  // floats next to multiples of pi
    const float v = static_cast<float>(k * M_PI);
    x.push_back(v);
    x.push_back(std::nextafter(v, 1e9f));
    x.push_back(std::nextafter(v, -1e9f));
  }
  x.push_back(0.0f);
  x.push_back(-0.0f);
  x.push_back(1e-30f);
  x.push_back(xm::kernels::kFastSinMax);
  for (const auto sin : {&xm::kernels::sin_approx, &xm::kernels::sin_approx_portable}) {
    std::vector<float> y(x.size());
    sin(x.data(), static_cast<int64_t>(x.size()), y.data());
    double worst = 0.0;
    float at = 0.0f;
    for (size_t i = 0; i < x.size(); ++i) {
      const double e = ulp_error(y[i], std::sin(static_cast<double>(x[i])));
      if (e > worst) {
        worst = e;
        at = x[i];
      }
    }
    EXPECT_LE(worst, 4.0) << "at x=" << at;
  }
}

TEST(SinApprox, OutsideFastRange) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> x{2e5f, -3.3e7f, 1e30f, inf, -inf, std::nanf("")};
  for (const auto sin : {&xm::kernels::sin_approx, &xm::kernels::sin_approx_portable}) {
    std::vector<float> y(x.size());
    sin(x.data(), static_cast<int64_t>(x.size()), y.data());
    for (size_t i = 0; i < 3; ++i) EXPECT_EQ(y[i], std::sin(x[i])) << x[i];
    for (size_t i = 3; i < x.size(); ++i) EXPECT_TRUE(std::isnan(y[i])) << x[i];
  }
}

}  // namespace
