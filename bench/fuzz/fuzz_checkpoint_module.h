#pragma once
// The small model of the checkpoint harness, shared with the seed generator so the seed
// checkpoints carry exactly the names, shapes and optimizer state the harness loads.
#include <torch/torch.h>

#include <memory>

namespace xcodec::fuzz {

/// Parameters ("0.weight" [4, 3], "0.bias" [4], "1.weight"/"1.bias" [4]) and buffers
/// ("1.running_mean", "1.running_var" [4], "1.num_batches_tracked" []) with an AdamW.
struct CheckpointModel {
  torch::nn::Sequential module{nullptr};
  std::unique_ptr<torch::optim::AdamW> optimizer;
};

inline CheckpointModel make_checkpoint_model() {
  CheckpointModel m;
  m.module = torch::nn::Sequential(torch::nn::Linear(3, 4), torch::nn::BatchNorm1d(4));
  m.optimizer = std::make_unique<torch::optim::AdamW>(m.module->parameters(),
                                                      torch::optim::AdamWOptions(1e-3));
  return m;
}

/// One training step on a fixed batch [2, 3].
inline void train_step(CheckpointModel& m) {
  m.optimizer->zero_grad();
  const torch::Tensor x = torch::linspace(-1.0, 1.0, 6).reshape({2, 3});
  m.module->forward(x).square().sum().backward();
  m.optimizer->step();
}

}  // namespace xcodec::fuzz
