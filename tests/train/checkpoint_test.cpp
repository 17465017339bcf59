#include <torch/torch.h>

#include <fstream>

#include "support/test_support.h"
#include "xcodec/core/error.h"
#include "xcodec/train/checkpoint.h"

namespace xcodec::train {
namespace {

using xcodec::testing::TempDir;

struct NetImpl : torch::nn::Module {
  NetImpl() {
    fc = register_module("fc", torch::nn::Linear(4, 3));
    norm = register_module("norm", torch::nn::BatchNorm1d(3));
  }
  torch::Tensor forward(torch::Tensor x) { return norm(fc(x)); }
  torch::nn::Linear fc{nullptr};
  torch::nn::BatchNorm1d norm{nullptr};
};
TORCH_MODULE(Net);

void train_steps(Net& net, torch::optim::AdamW& opt, int n) {
  for (int i = 0; i < n; ++i) {
    opt.zero_grad();
    auto x = torch::randn({8, 4});
    auto y = net->forward(torch::nn::functional::dropout(
        x, torch::nn::functional::DropoutFuncOptions().p(0.2).training(true)));
    y.pow(2).mean().backward();
    opt.step();
  }
}

TEST(Checkpoint, ResumedTrainingMatchesUninterrupted) {
  TempDir dir;
  const std::string path = (dir.path() / "last.ckpt").string();
  torch::manual_seed(3);
  Net a;
  torch::optim::AdamW opt_a(a->parameters(), torch::optim::AdamWOptions(1e-2).betas({0.8, 0.9}));
  train_steps(a, opt_a, 3);
  CheckpointWriter w;
  w.add_module("generator.", *a);
  w.add_optimizer("optim_g.", opt_a, *a);
  w.add_rng_state();
  w.set_metadata("step", "3");
  w.save(path);
  train_steps(a, opt_a, 4);

  torch::manual_seed(999);  // a different process state that the checkpoint must override
  Net b;
  torch::optim::AdamW opt_b(b->parameters(), torch::optim::AdamWOptions(1e-2).betas({0.8, 0.9}));
  CheckpointReader r(path);
  r.load_module("generator.", *b);
  r.load_optimizer("optim_g.", opt_b, *b);
  r.load_rng_state();
  EXPECT_EQ(r.metadata("step"), "3");
  train_steps(b, opt_b, 4);
  for (const auto& p : a->named_parameters()) {
    EXPECT_TRUE(p.value().equal(b->named_parameters()[p.key()])) << p.key();
  }
  EXPECT_TRUE(a->norm->running_mean.equal(b->norm->running_mean));
}

TEST(Checkpoint, StrictLoadNamesMissingAndMisShapedTensors) {
  TempDir dir;
  const std::string path = (dir.path() / "c.ckpt").string();
  CheckpointWriter w;
  w.add_tensor("generator.fc.weight", torch::zeros({3, 5}));
  w.save(path);
  Net net;
  try {
    CheckpointReader(path).load_module("generator.", *net);
    FAIL() << "expected CheckpointError";
  } catch (const CheckpointError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("generator.fc.weight' has shape [3, 5]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("missing 'generator.fc.bias'"), std::string::npos) << msg;
  }
}

TEST(Checkpoint, DamagedFileIsACheckpointErrorAndCandidatesAreOrdered) {
  TempDir dir;
  std::ofstream(dir.path() / "last.ckpt") << "garbage";
  std::ofstream(dir.path() / "step=20.ckpt") << "x";
  std::ofstream(dir.path() / "step=100.ckpt") << "x";
  std::ofstream(dir.path() / "notes.txt") << "x";
  EXPECT_THROW(CheckpointReader((dir.path() / "last.ckpt").string()), CheckpointError);
  const auto c = resume_candidates(dir.str());
  ASSERT_EQ(c.size(), 3u);
  EXPECT_NE(c[0].find("last.ckpt"), std::string::npos);
  EXPECT_NE(c[1].find("step=100"), std::string::npos);
  EXPECT_NE(c[2].find("step=20"), std::string::npos);
  EXPECT_TRUE(resume_candidates((dir.path() / "absent").string()).empty());
}

}  // namespace
}  // namespace xcodec::train
