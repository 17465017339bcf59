#pragma once
/// Gradient averaging as PyTorch's DistributedDataParallel does it: parameters are grouped in
/// buckets (~25 MiB, the first 1 MiB, in reverse registration order, which is roughly the order
/// backward produces them); an autograd hook on each parameter copies its gradient into its
/// bucket, and a bucket whose parameters are all ready is all-reduced at once, while backward
/// still runs. finish() launches what is left, waits and writes the mean back into .grad.
/// Gradients used by the optimiser are then identical on every rank.
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace xcodec::train {

class DataParallel;

struct GradientReducerOptions {
  int64_t bucket_cap_bytes = 25 * 1024 * 1024;  ///< DDP's bucket_cap_mb=25
  int64_t first_bucket_bytes = 1024 * 1024;     ///< DDP: a small first bucket starts sooner
};

class GradientReducer {
 public:
  /// `params` must be the same list, in the same order, on every rank; `group` must outlive
  /// the reducer.
  GradientReducer(DataParallel& group, std::vector<torch::Tensor> params,
                  const GradientReducerOptions& options = {});
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  /// Call before the last backward of an optimiser step (earlier micro-batches only
  /// accumulate, like DDP's no_sync()): its gradients are reduced as they appear.
  void prepare_for_backward();
  /// Launches the buckets not yet launched (all of them when this rank skipped backward), waits
  /// and replaces each gradient by the mean over ranks; a gradient missing on some ranks counts
  /// as 0 there. A parameter without a gradient on every rank keeps none (find_unused semantics:
  /// the optimiser then skips it, as PyTorch skips a None .grad). Must be called on every rank.
  void finish();

  /// Seconds finish() spent waiting for communication (the part not hidden behind backward).
  double last_wait_seconds() const;
  /// Buckets launched from autograd hooks (during backward) in the last step.
  int last_buckets_during_backward() const;
  int num_buckets() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xcodec::train
