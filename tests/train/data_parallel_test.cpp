// DataParallel's gradient averaging, on a group of one process (the collective is then the
// identity, so what is checked is which gradients exist afterwards).
#include <torch/torch.h>

#include "support/test_support.h"
#include "xcodec/train/distributed/data_parallel.h"
#include "xcodec/train/lr_schedule.h"

namespace xcodec::train {
namespace {

TEST(DataParallel, ParametersWithoutAGradientOnAnyRankKeepNoneAndAreNotDecayed) {
  xcodec::testing::TempDir dir;
  DistributedEnv env;
  env.store_path = (dir.path() / "store").string();
  DataParallel dp(env);
  torch::Tensor used = torch::ones({3}, torch::requires_grad());
  torch::Tensor unused = torch::ones({2}, torch::requires_grad());
  (used * torch::tensor({1.0f, 2.0f, 3.0f})).sum().backward();
  dp.average_gradients({used, unused});
  EXPECT_TRUE(torch::equal(used.grad(), torch::tensor({1.0f, 2.0f, 3.0f})));
  EXPECT_FALSE(unused.grad().defined());
  // AdamW (weight decay 0.01) then leaves the parameter alone, as PyTorch does for a None grad.
  AdamWConfig cfg;
  WarmupLrConfig lr;
  auto opt = make_adamw({used, unused}, cfg, lr);
  opt->step();
  EXPECT_TRUE(torch::equal(unused, torch::ones({2})));
  EXPECT_FALSE(torch::equal(used, torch::ones({3})));
}

}  // namespace
}  // namespace xcodec::train
