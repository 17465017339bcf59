#pragma once
/// Multi-process data-parallel training on c10d (Gloo): every rank runs the same step on its
/// share of the data and gradients are averaged before each optimiser step, so all ranks keep
/// identical weights. `xcodec train train.trainer.devices=N` launches N ranks of itself
/// (launch_data_parallel); each finds its place in the environment (XCODEC_RANK, ...).
#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

namespace xcodec::train {

/// A process's place in the group, from XCODEC_RANK, XCODEC_WORLD_SIZE and XCODEC_DIST_STORE
/// (a rendezvous file path shared by all ranks). world_size 1 when unset.
struct DistributedEnv {
  int rank = 0;
  int world_size = 1;
  std::string store_path;
  bool active() const { return world_size > 1; }
  static DistributedEnv from_environment();
};

class DataParallel {
 public:
  /// Joins the group (blocks until every rank has joined). Throws xcodec::Error on failure.
  explicit DataParallel(const DistributedEnv& env);
  ~DataParallel();
  int rank() const;
  int world_size() const;
  /// Replaces each parameter's gradient by the mean over ranks (a gradient missing on some
  /// ranks counts as 0 there). A parameter with no gradient on any rank keeps none, so the
  /// optimiser skips it as PyTorch skips a None .grad (no weight decay).
  void average_gradients(const std::vector<torch::Tensor>& params);
  /// True on every rank when `local` is true on any rank (agreeing to skip or stop together).
  bool any(bool local);
  /// Mean of a scalar over ranks (for logging).
  double mean(double local);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Runs `argv` (this program and its arguments) as ranks 0..world_size-1 with the environment
/// above, forwards SIGINT/SIGTERM to them and waits. Returns 0 when all exit 0, else the first
/// non-zero status.
int launch_data_parallel(const std::vector<std::string>& argv, int world_size);

}  // namespace xcodec::train
