#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cstring>
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

// A checkpoint holding only `rng.cpu` = `state`.
std::string rng_checkpoint(const TempDir& dir, const torch::Tensor& state) {
  const std::string path = (dir.path() / "rng.ckpt").string();
  CheckpointWriter w;
  w.add_tensor("rng.cpu", state);
  w.save(path);
  return path;
}

// The current CPU generator state with the int32 at byte `offset` replaced. LibTorch 1.x/2.x
// layout (CPUGeneratorImplStateLegacy): u64 seed at 0, i32 left at 8, i32 seeded at 12, u64 next
// at 16, then the 624 state words.
torch::Tensor patched_cpu_state(size_t offset, int32_t value) {
  torch::Tensor state = at::detail::getDefaultCPUGenerator().get_state().clone();
  std::memcpy(state.data_ptr<uint8_t>() + offset, &value, sizeof(value));
  return state;
}

// Found by bench/fuzz/fuzz_checkpoint: LibTorch's own c10::Error ("Invalid mt19937 state")
// escaped load_rng_state instead of a CheckpointError naming the file and tensor.
TEST(Checkpoint, BadRngStatesAreCheckpointErrorsAndKeepTheGenerator) {
  TempDir dir;
  auto expect_rejected = [&](const torch::Tensor& state, const std::string& needle) {
    torch::manual_seed(5);
    const torch::Tensor want = torch::rand({4});
    torch::manual_seed(5);
    try {
      CheckpointReader(rng_checkpoint(dir, state)).load_rng_state();
      ADD_FAILURE() << "expected CheckpointError (" << needle << ")";
    } catch (const CheckpointError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("tensor 'rng.cpu' is not a generator state"), std::string::npos) << msg;
      EXPECT_NE(msg.find(needle), std::string::npos) << msg;
    }
    EXPECT_TRUE(torch::rand({4}).equal(want)) << "the generator state changed (" << needle << ")";
  };
  expect_rejected(torch::zeros({3}), "ByteTensor");             // not a state at all
  expect_rejected(torch::zeros({3}, torch::kUInt8), "size");    // too short
  expect_rejected(patched_cpu_state(8, 0), "Invalid mt19937");  // left = 0
  // left = 600 at position 600 passes LibTorch's own check, but the next draws would read
  // past the end of the 624-word state.
  torch::Tensor past_end = patched_cpu_state(8, 600);
  const int64_t next = 600;
  std::memcpy(past_end.data_ptr<uint8_t>() + 16, &next, sizeof(next));
  expect_rejected(past_end, "runs past");
}

// Optimizer state is checked when loaded, not at the next AdamW step (which threw c10::Error or
// broadcast silently for a mis-shaped exp_avg_sq).
TEST(Checkpoint, InconsistentOptimizerStateIsACheckpointError) {
  TempDir dir;
  Net net;
  const auto w = net->named_parameters()["fc.weight"];
  auto expect_rejected = [&](const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                             const std::string& needle) {
    const std::string path = (dir.path() / "o.ckpt").string();
    CheckpointWriter writer;
    for (const auto& [name, t] : tensors) writer.add_tensor(name, t);
    writer.save(path);
    torch::optim::AdamW opt(net->parameters(), torch::optim::AdamWOptions(1e-3));
    try {
      CheckpointReader(path).load_optimizer("o.", opt, *net);
      ADD_FAILURE() << "expected CheckpointError (" << needle << ")";
    } catch (const CheckpointError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  const torch::Tensor step = torch::tensor(int64_t{3});
  expect_rejected({{"o.fc.weight.exp_avg", torch::zeros_like(w)},
                   {"o.fc.weight.exp_avg_sq", torch::zeros({2, 3, 4})},
                   {"o.fc.weight.step", step}},
                  "'o.fc.weight.exp_avg_sq' has shape [2, 3, 4]");
  expect_rejected({{"o.fc.weight.exp_avg", torch::zeros_like(w)}, {"o.fc.weight.step", step}},
                  "'o.fc.weight.exp_avg_sq' is missing");
  expect_rejected({{"o.fc.weight.exp_avg", torch::zeros_like(w)},
                   {"o.fc.weight.exp_avg_sq", torch::zeros_like(w)},
                   {"o.fc.weight.step", torch::zeros({0}, torch::kInt64)}},
                  "'o.fc.weight.step' is not one non-negative int64");
}

}  // namespace
}  // namespace xcodec::train
