// Data-parallel pieces in one process: the launcher environment, and GradientReducer on a group
// of one (the collective is then the identity, so what is checked is which gradients exist and
// that hooks, buckets and accumulation give the plain backward's gradients).
#include <torch/torch.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "support/test_support.h"
#include "xcodec/core/error.h"
#include "xcodec/train/distributed/data_parallel.h"
#include "xcodec/train/distributed/distributed_env.h"
#include "xcodec/train/distributed/gradient_reducer.h"
#include "xcodec/train/lr_schedule.h"

namespace xcodec::train {
namespace {

// Sets variables for one test and restores what was there.
class ScopedEnv {
 public:
  void set(const std::string& name, const char* value) {
    const char* old = std::getenv(name.c_str());
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    if (value) {
      ::setenv(name.c_str(), value, 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
  ~ScopedEnv() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second) {
        ::setenv(it->first.c_str(), it->second->c_str(), 1);
      } else {
        ::unsetenv(it->first.c_str());
      }
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

const char* const kLaunchVars[] = {"RANK",
                                   "WORLD_SIZE",
                                   "LOCAL_RANK",
                                   "LOCAL_WORLD_SIZE",
                                   "MASTER_ADDR",
                                   "MASTER_PORT",
                                   "TORCHELASTIC_USE_AGENT_STORE",
                                   "TORCHELASTIC_RESTART_COUNT",
                                   "SLURM_PROCID",
                                   "SLURM_NTASKS",
                                   "SLURM_LOCALID",
                                   "SLURM_NTASKS_PER_NODE",
                                   "SLURM_TASKS_PER_NODE",
                                   "SLURM_JOB_NODELIST",
                                   "SLURM_JOB_ID"};

void clear_launch_vars(ScopedEnv& env) {
  for (const char* v : kLaunchVars) env.set(v, nullptr);
}

TEST(DistributedEnv, NoLauncherIsASingleProcess) {
  ScopedEnv env;
  clear_launch_vars(env);
  const auto e = DistributedEnv::from_environment();
  EXPECT_FALSE(e.active());
  EXPECT_EQ(e.launcher, "");
}

TEST(DistributedEnv, TorchrunVariables) {
  ScopedEnv env;
  clear_launch_vars(env);
  env.set("RANK", "5");
  env.set("WORLD_SIZE", "16");
  env.set("LOCAL_RANK", "5");
  env.set("LOCAL_WORLD_SIZE", "8");
  env.set("MASTER_ADDR", "node1");
  env.set("MASTER_PORT", "29400");
  env.set("TORCHELASTIC_USE_AGENT_STORE", "True");
  env.set("TORCHELASTIC_RESTART_COUNT", "2");
  const auto e = DistributedEnv::from_environment();
  EXPECT_EQ(e.launcher, "torchrun");
  EXPECT_EQ(e.rank, 5);
  EXPECT_EQ(e.world_size, 16);
  EXPECT_EQ(e.local_rank, 5);
  EXPECT_EQ(e.local_world_size, 8);
  EXPECT_EQ(e.master_addr, "node1");
  EXPECT_EQ(e.master_port, 29400);
  EXPECT_TRUE(e.agent_store);
  EXPECT_EQ(e.restart_count, 2);
}

TEST(DistributedEnv, MissingMasterAddrIsNamed) {
  ScopedEnv env;
  clear_launch_vars(env);
  env.set("RANK", "0");
  env.set("WORLD_SIZE", "2");
  try {
    DistributedEnv::from_environment();
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("MASTER_ADDR"), std::string::npos) << e.what();
  }
}

TEST(DistributedEnv, SlurmFallbackTakesTheFirstNodeAndAPortFromTheJobId) {
  ScopedEnv env;
  clear_launch_vars(env);
  env.set("SLURM_PROCID", "9");
  env.set("SLURM_NTASKS", "16");
  env.set("SLURM_LOCALID", "1");
  env.set("SLURM_TASKS_PER_NODE", "8(x2)");
  env.set("SLURM_JOB_NODELIST", "gpu[007-008,011],cpu1");
  env.set("SLURM_JOB_ID", "123456");
  const auto e = DistributedEnv::from_environment();
  EXPECT_EQ(e.launcher, "slurm");
  EXPECT_EQ(e.rank, 9);
  EXPECT_EQ(e.world_size, 16);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.local_world_size, 8);
  EXPECT_EQ(e.master_addr, "gpu007");
  EXPECT_EQ(e.master_port, 10000 + 123456 % 20000);
  EXPECT_EQ(first_slurm_host("single"), "single");
  EXPECT_EQ(slurm_tasks_on_first_node("4,2"), 4);
}

DistributedEnv single() {
  DistributedEnv e;
  return e;
}

TEST(GradientReducer, ParametersWithoutAGradientOnAnyRankKeepNoneAndAreNotDecayed) {
  DataParallel dp(single());
  torch::Tensor used = torch::ones({3}, torch::requires_grad());
  torch::Tensor unused = torch::ones({2}, torch::requires_grad());
  GradientReducer reducer(dp, {used, unused});
  reducer.prepare_for_backward();
  (used * torch::tensor({1.0f, 2.0f, 3.0f})).sum().backward();
  reducer.finish();
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

TEST(GradientReducer, SmallBucketsAccumulationAndSkippedBackwardGiveThePlainGradients) {
  DataParallel dp(single());
  torch::manual_seed(3);
  torch::nn::Sequential net(torch::nn::Linear(8, 16), torch::nn::Tanh(), torch::nn::Linear(16, 4));
  auto params = net->parameters();
  const torch::Tensor x1 = torch::randn({5, 8});
  const torch::Tensor x2 = torch::randn({5, 8});
  // Plain: two accumulated backwards.
  net->zero_grad();
  net->forward(x1).pow(2).mean().backward();
  net->forward(x2).pow(2).mean().backward();
  std::vector<torch::Tensor> want;
  for (const auto& p : params) want.push_back(p.grad().clone());
  // Reduced: buckets of ~64 bytes (one per parameter or so), armed for the second backward only.
  GradientReducerOptions o;
  o.bucket_cap_bytes = 64;
  o.first_bucket_bytes = 64;
  GradientReducer reducer(dp, params, o);
  EXPECT_GE(reducer.num_buckets(), 4);
  net->zero_grad();
  net->forward(x1).pow(2).mean().backward();
  reducer.prepare_for_backward();
  net->forward(x2).pow(2).mean().backward();
  reducer.finish();
  EXPECT_EQ(reducer.last_buckets_during_backward(), reducer.num_buckets());
  for (size_t i = 0; i < params.size(); ++i)
    EXPECT_TRUE(torch::allclose(params[i].grad(), want[i], 1e-6, 1e-7)) << i;
  // A rank that skips backward (non-finite loss) still takes part: finish() launches every
  // bucket, and gradients from earlier micro-batches are what it contributes.
  net->zero_grad();
  net->forward(x1).pow(2).mean().backward();
  reducer.prepare_for_backward();
  reducer.finish();
  EXPECT_EQ(reducer.last_buckets_during_backward(), 0);
  EXPECT_TRUE(params[0].grad().defined());
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

// Two ranks over TCP on 127.0.0.1 (one thread each, rank 0 hosting the TCPStore), each with half
// of a batch, against one model with the whole batch: the averaged gradients, and the weights
// after AdamW steps, equal the single-process ones. A model without dropout, so both sides draw
// nothing random (the tiny codec's decoder has dropout, so the CLI test checks the ranks agree).
TEST(GradientReducer, TwoRanksOverTcpEqualOneProcessWithTheWholeBatch) {
  const int port = free_port();
  torch::manual_seed(11);
  const torch::Tensor x = torch::randn({6, 8});
  auto make_net = [] {
    torch::manual_seed(5);
    return torch::nn::Sequential(torch::nn::Linear(8, 32), torch::nn::Tanh(),
                                 torch::nn::Linear(32, 32), torch::nn::Tanh(),
                                 torch::nn::Linear(32, 2));
  };
  AdamWConfig cfg;
  WarmupLrConfig lr;
  lr.warmup_step = 1;  // full lr at once, so the weights move
  const int steps = 3;
  auto reference = make_net();
  auto ref_opt = make_adamw(reference->parameters(), cfg, lr);
  std::vector<torch::Tensor> ref_grads;
  for (int s = 0; s < steps; ++s) {
    ref_opt->zero_grad();
    reference->forward(x).pow(2).mean().backward();
    if (s == 0)
      for (const auto& p : reference->parameters()) ref_grads.push_back(p.grad().clone());
    ref_opt->step();
  }
  std::vector<std::vector<torch::Tensor>> grads(2), weights(2);
  std::vector<std::string> errors(2);
  // Built here, not in the rank threads: make_net seeds and draws from the one global
  // generator, and two threads doing that at once gave the ranks different weights.
  std::vector<torch::nn::Sequential> nets = {make_net(), make_net()};
  auto rank_main = [&](int rank) {
    try {
      DistributedEnv env;
      env.rank = rank;
      env.world_size = 2;
      env.local_rank = rank;
      env.local_world_size = 2;
      env.master_addr = "127.0.0.1";
      env.master_port = port;
      env.launcher = "torchrun";
      DataParallelOptions o;
      o.timeout = std::chrono::milliseconds(20000);
      DataParallel dp(env, o);
      auto net = nets[rank];
      GradientReducerOptions ro;
      ro.first_bucket_bytes = 256;  // several buckets, so some go out during backward
      ro.bucket_cap_bytes = 2048;
      GradientReducer reducer(dp, net->parameters(), ro);
      auto opt = make_adamw(net->parameters(), cfg, lr);
      const torch::Tensor mine = x.narrow(0, 3 * rank, 3);
      for (int s = 0; s < steps; ++s) {
        opt->zero_grad();
        reducer.prepare_for_backward();
        net->forward(mine).pow(2).mean().backward();
        reducer.finish();
        if (s == 0)
          for (const auto& p : net->parameters()) grads[rank].push_back(p.grad().clone());
        opt->step();
      }
      for (const auto& p : net->parameters()) weights[rank].push_back(p.detach().clone());
    } catch (const std::exception& e) {
      errors[rank] = e.what();
    }
  };
  std::thread r1(rank_main, 1);
  rank_main(0);
  r1.join();
  ASSERT_EQ(errors[0], "");
  ASSERT_EQ(errors[1], "");
  const auto ref_weights = reference->parameters();
  for (size_t i = 0; i < ref_grads.size(); ++i) {
    EXPECT_TRUE(torch::allclose(grads[0][i], ref_grads[i], 1e-5, 1e-7)) << "gradient " << i;
    EXPECT_TRUE(torch::equal(weights[0][i], weights[1][i])) << "ranks differ at " << i;
    EXPECT_TRUE(torch::allclose(weights[0][i], ref_weights[i], 1e-5, 1e-6)) << "weight " << i;
  }
}

}  // namespace
}  // namespace xcodec::train
