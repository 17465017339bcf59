#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "xcodec/core/error.h"
#include "xcodec/train/lr_schedule.h"

namespace xcodec::train {
namespace {

using xcodec::testing::fixture_path;

nlohmann::json schedule_values() {
  std::ifstream in(fixture_path("training-refs/values.json"));
  return nlohmann::json::parse(in)["lr_schedule"];
}

TEST(LrScheduleParity, MatchesTheReferenceCurve) {
  const auto ref = schedule_values();
  WarmupLrConfig c;
  EXPECT_EQ(c.warmup_step, ref["params"]["warmup_step"].get<int64_t>());
  EXPECT_EQ(c.down_step, ref["params"]["down_step"].get<int64_t>());
  EXPECT_EQ(c.min_lr, ref["params"]["min_lr"].get<double>());
  EXPECT_EQ(c.max_lr, ref["params"]["max_lr"].get<double>());
  size_t checked = 0;
  for (const auto& [step, entry] : ref["values"].items()) {
    const double want = entry["lr"].get<double>();
    const double got = warmup_lr(std::stoll(step), c);
    EXPECT_NEAR(got, want, 1e-12 * want) << "step " << step;
    ++checked;
  }
  EXPECT_EQ(checked, 11u);
}

TEST(LrScheduleParity, SchedulerDrivesAnAdamWLikeLambdaLR) {
  const auto ref = schedule_values();
  AdamWConfig adam;
  EXPECT_EQ(adam.betas, ref["optimizer"]["betas"].get<std::vector<double>>());
  WarmupLrConfig c;
  c.warmup_step = 4;
  c.down_step = 8;
  auto w = torch::zeros({3}, torch::requires_grad());
  auto opt = make_adamw({w}, adam, c);
  const auto& o = static_cast<const torch::optim::AdamWOptions&>(opt->param_groups()[0].options());
  EXPECT_EQ(std::get<0>(o.betas()), 0.8);
  EXPECT_EQ(std::get<1>(o.betas()), 0.9);
  EXPECT_EQ(o.eps(), 1e-8);
  EXPECT_EQ(o.weight_decay(), 0.01);
  WarmupLrScheduler sched(*opt, c);
  for (int64_t s = 0; s < 20; ++s) {
    EXPECT_EQ(sched.steps_taken(), s);
    EXPECT_DOUBLE_EQ(opt->param_groups()[0].options().get_lr(), warmup_lr(s, c)) << s;
    w.sum().backward();
    opt->step();
    sched.step();
  }
  // Shape of the curve: rising quadratically, peak at warmup_step, then linear, then the floor.
  EXPECT_LT(warmup_lr(1, c), warmup_lr(2, c));
  EXPECT_DOUBLE_EQ(warmup_lr(4, c), c.max_lr);
  EXPECT_NEAR(warmup_lr(8, c), (c.max_lr + c.min_lr) / 2, 1e-18);
  EXPECT_DOUBLE_EQ(warmup_lr(12, c), c.min_lr);
  EXPECT_DOUBLE_EQ(warmup_lr(1000, c), c.min_lr);
}

TEST(LrSchedule, StateRoundTripsForResume) {
  WarmupLrConfig c;
  auto w = torch::zeros({1}, torch::requires_grad());
  auto opt_a = make_adamw({w}, AdamWConfig{}, c);
  WarmupLrScheduler a(*opt_a, c);
  for (int i = 0; i < 1234; ++i) a.step();
  const YAML::Node state = YAML::Load(YAML::Dump(a.state_dict()));
  auto opt_b = make_adamw({w}, AdamWConfig{}, c);
  WarmupLrScheduler b(*opt_b, c);
  b.load_state_dict(state);
  EXPECT_EQ(b.steps_taken(), 1234);
  EXPECT_DOUBLE_EQ(opt_b->param_groups()[0].options().get_lr(), warmup_lr(1234, c));
  EXPECT_THROW(b.load_state_dict(YAML::Load("{step: abc}")), CheckpointError);
  EXPECT_THROW(b.load_state_dict(YAML::Load("[1, 2]")), CheckpointError);
}

TEST(LrSchedule, ConfigYamlAndValidation) {
  WarmupLrConfig c;
  c.max_lr = 3e-4;
  WarmupLrConfig back;
  back.from_yaml(YAML::Load(YAML::Dump(c.to_yaml())));
  EXPECT_TRUE(back == c);
  try {
    back.from_yaml(YAML::Load("{warmup_steps: 3}"), "train.gen_scheduler");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("train.gen_scheduler.warmup_steps"), std::string::npos);
  }
  WarmupLrConfig neg;
  neg.warmup_step = -1;
  EXPECT_THROW(neg.validate(), ConfigError);
  AdamWConfig a;
  a.betas = {0.9};
  EXPECT_THROW(a.validate(), ConfigError);
}

}  // namespace
}  // namespace xcodec::train
