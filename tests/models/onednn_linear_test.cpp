// float32 inference products through oneDNN (layers/onednn_linear.h): taken only where asked
// for, and equal to LibTorch's BLAS path to float32 rounding, alone and inside attention.
#include "xcodec/models/layers/onednn_linear.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "xcodec/models/layers/transformer_block.h"

namespace xm = xcodec::models;

namespace {

// Forces the oneDNN choice for one test and restores the CPU's own afterwards.
class ForceOneDnn {
 public:
  explicit ForceOneDnn(bool on) : before_(xm::onednn_fp32_linear_enabled()) {
    xm::set_onednn_fp32_linear(on);
  }
  ~ForceOneDnn() { xm::set_onednn_fp32_linear(before_); }

 private:
  bool before_;
};

double max_rel_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).abs().max() / b.abs().max()).item<double>();
}

}  // namespace

TEST(OnednnLinear, TakenOnlyForBigFloat32ProductsWithoutAutograd) {
  if (!at::hasMKLDNN()) GTEST_SKIP() << "this LibTorch has no oneDNN";
  const ForceOneDnn force(true);
  const torch::Tensor x = torch::randn({2, 150, 256});
  const torch::Tensor w = torch::randn({512, 256});
  {
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(xm::takes_onednn_linear(x, w));
    EXPECT_FALSE(xm::takes_onednn_linear(x.narrow(1, 0, 4), w)) << "too small to repay it";
    EXPECT_FALSE(xm::takes_onednn_linear(x.to(torch::kBFloat16), w.to(torch::kBFloat16)));
    EXPECT_FALSE(xm::takes_onednn_linear(x.to(torch::kFloat64), w.to(torch::kFloat64)));
  }
  EXPECT_FALSE(xm::takes_onednn_linear(x, w)) << "autograd records: training keeps BLAS";
  {
    const ForceOneDnn off(false);
    torch::NoGradGuard no_grad;
    EXPECT_FALSE(xm::takes_onednn_linear(x, w));
  }
}

TEST(OnednnLinear, EqualsTorchLinearToFloat32Rounding) {
  if (!at::hasMKLDNN()) GTEST_SKIP() << "this LibTorch has no oneDNN";
  const ForceOneDnn force(true);
  torch::manual_seed(0);
  torch::InferenceMode inference;
  const torch::Tensor w = torch::randn({384, 256}) / 16;
  const torch::Tensor b = torch::randn({384});
  for (const auto& x : {torch::randn({300, 256}), torch::randn({2, 150, 256}),
                        torch::randn({150, 2, 256}).transpose(0, 1)}) {
    ASSERT_TRUE(xm::takes_onednn_linear(x, w));
    const torch::Tensor got = xm::fast_linear(x, w, b);
    const torch::Tensor want = torch::linear(x, w, b);
    ASSERT_EQ(got.sizes(), want.sizes());
    EXPECT_LT(max_rel_diff(got, want), 1e-5);
    EXPECT_LT(max_rel_diff(xm::fast_linear(x, w, {}), torch::linear(x, w)), 1e-5);
  }
}

TEST(OnednnLinear, AttentionByHeadEqualsTheBatchedProducts) {
  if (!at::hasMKLDNN()) GTEST_SKIP() << "this LibTorch has no oneDNN";
  torch::manual_seed(1);
  xm::TransformerBlock block(xm::TransformerBlockOptions(256, 4));
  block->eval();
  torch::InferenceMode inference;
  // 300 frames x head_dim 64: big enough for the per-head oneDNN path.
  const torch::Tensor x = torch::randn({2, 300, 256});
  ASSERT_TRUE([&] {
    const ForceOneDnn force(true);
    return xm::takes_onednn_linear(torch::randn({300, 64}), torch::randn({300, 64}));
  }());
  torch::Tensor fast;
  torch::Tensor blas;
  {
    const ForceOneDnn force(true);
    fast = block->forward(x);
  }
  {
    const ForceOneDnn force(false);
    blas = block->forward(x);
  }
  EXPECT_LT(max_rel_diff(fast, blas), 1e-5);
  EXPECT_GT((fast - blas).abs().max().item<double>(), 0.0)
      << "bit-identical: the oneDNN path was not taken";
}
