#pragma once
/// Multi-process data-parallel training on c10d: every rank runs the same step on its share of
/// the data, GradientReducer averages the gradients, and all ranks keep identical weights.
/// Ranks find each other through a c10d::TCPStore at MASTER_ADDR:MASTER_PORT (DistributedEnv);
/// collectives run on ProcessGroupGloo (CPU) or, in a LibTorch built with NCCL, on
/// ProcessGroupNCCL with rank r on cuda:LOCAL_RANK. See docs/distributed.md.
#include <torch/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "xcodec/train/distributed/distributed_env.h"

namespace c10d {
class ProcessGroup;
class Store;
}  // namespace c10d

namespace xcodec::train {

struct DataParallelOptions {
  /// Longest wait of one collective (and of a store operation) for the other ranks; a rank that
  /// does not arrive in time is named in the error. Gloo also fails at once when a peer dies.
  std::chrono::milliseconds timeout{60000};
  /// Longest wait for all ranks to join (nodes may start minutes apart).
  std::chrono::milliseconds join_timeout{300000};
  /// Reduce on CUDA tensors with NCCL (only when LibTorch has it; else Gloo).
  bool cuda = false;
};

class DataParallel {
 public:
  /// Joins the group (blocks until every rank has joined; rank 0 hosts the TCPStore unless
  /// env.agent_store). A group of one (env.world_size 1) needs no network. Throws xcodec::Error
  /// naming the rank and the store address on failure.
  explicit DataParallel(const DistributedEnv& env, const DataParallelOptions& options = {});
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  int rank() const;
  int world_size() const;
  /// "gloo" or "nccl".
  std::string backend() const;

  /// True on every rank when `local` is true on any rank (agreeing to skip or stop together).
  bool any(bool local);
  /// Mean of a scalar over ranks (for logging).
  double mean(double local);
  /// Overwrites each tensor with rank 0's (in place; same shapes on every rank).
  void broadcast(const std::vector<torch::Tensor>& tensors);
  /// Rank 0's bytes on every rank (`bytes` is read on rank 0, replaced elsewhere).
  void broadcast_bytes(std::string& bytes);
  /// Rank 0 calls this when it has finished work the others do not share (validation,
  /// checkpoints); the others block here until then, without the collective timeout (the
  /// launcher or the store connection ends them if rank 0 dies).
  void wait_for_rank0(const std::string& what);

  /// Sum over ranks, in place, started asynchronously; `wait_allreduce` finishes it. Launches
  /// must happen in the same order on every rank. Returns a handle for wait_allreduce.
  size_t start_allreduce(torch::Tensor& t);
  /// Waits for a started all-reduce; on a failure or timeout throws xcodec::Error naming the
  /// rank(s) that died or fell behind.
  void wait_allreduce(size_t handle);

  /// Names the lost or lagging ranks for an error message ("rank 1 stopped responding ...").
  std::string diagnose_peers();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xcodec::train
