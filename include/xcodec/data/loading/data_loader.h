#pragma once
/// Batches from a Dataset with worker threads and a bounded prefetch queue. The order of an
/// epoch is a function of (seed, epoch, rank, world_size) only, so two runs with the same seed see
/// the same batches, and a run resumed at (epoch, batch) continues exactly where it stopped.
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "xcodec/data/loading/dataset.h"

namespace xcodec::data {

struct DataLoaderOptions {
  int64_t batch_size = 8;     ///< items per batch (per process)
  int num_workers = 2;        ///< threads that read and crop items; 0 = read on the caller's thread
  int prefetch_batches = 4;   ///< batches prepared ahead of the consumer (bounded queue)
  bool shuffle = true;        ///< permute the order each epoch (seeded)
  bool drop_last = true;      ///< drop a final partial batch
  uint64_t seed = 0;          ///< base seed of order, crops and mixtures
  int rank = 0;               ///< this process in a data-parallel group
  int world_size = 1;         ///< number of processes; each takes every world_size-th item
  int max_replacements = 16;  ///< unreadable items replaced by others before giving up
};

/// A collated batch.
struct Batch {
  torch::Tensor wav;       ///< [B, L]
  torch::Tensor semantic;  ///< [B, T, D], or undefined when the examples have none
  std::vector<std::string> ids;
  int64_t epoch = 0;
  int64_t index = 0;  ///< batch index within the epoch
};

/// The item indices this rank visits in `epoch`, in order (before batching).
std::vector<size_t> epoch_order(size_t dataset_size, const DataLoaderOptions& options,
                                int64_t epoch);

/// Stacks examples into a batch; all waveforms must share a shape. `semantic` is stacked only
/// when every example has one (else left undefined).
Batch collate(const std::vector<Example>& examples);

class DataLoader {
 public:
  DataLoader(DatasetPtr dataset, DataLoaderOptions options);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  /// Batches per epoch for this rank.
  int64_t batches_per_epoch() const;
  /// Positions the loader at batch `batch` of `epoch` (for resume); discards prefetched work.
  void seek(int64_t epoch, int64_t batch);
  /// The next batch, moving to the next epoch when one ends. Throws IoError if an item and
  /// all its replacements fail. Never returns an empty batch.
  Batch next();
  /// (epoch, batch index) of the batch the next call to next() returns.
  std::pair<int64_t, int64_t> position() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace xcodec::data
