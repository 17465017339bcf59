#include "xcodec/data/loading/data_loader.h"

#include <torch/torch.h>

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "xcodec/core/error.h"
#include "xcodec/core/logging.h"

namespace xcodec::data {

std::vector<size_t> epoch_order(size_t dataset_size, const DataLoaderOptions& options,
                                int64_t epoch) {
  std::vector<size_t> order(dataset_size);
  for (size_t i = 0; i < dataset_size; ++i) order[i] = i;
  if (options.shuffle) {
    // Same permutation on every rank, so the ranks' strided shares are disjoint.
    std::mt19937_64 rng(mix_seed(options.seed, static_cast<uint64_t>(epoch) + 0x5eed));
    for (size_t i = dataset_size; i > 1; --i) {
      const size_t j = std::uniform_int_distribution<size_t>(0, i - 1)(rng);
      std::swap(order[i - 1], order[j]);
    }
  }
  // Every rank gets the same number of items, so all ranks run the same number of steps.
  order.resize(order.size() - order.size() % static_cast<size_t>(options.world_size));
  std::vector<size_t> mine;
  for (size_t i = static_cast<size_t>(options.rank); i < order.size();
       i += static_cast<size_t>(options.world_size)) {
    mine.push_back(order[i]);
  }
  return mine;
}

Batch collate(const std::vector<Example>& examples) {
  if (examples.empty()) throw Error("collate: empty batch");
  Batch b;
  std::vector<torch::Tensor> wavs;
  std::vector<torch::Tensor> sems;
  for (const auto& ex : examples) {
    if (ex.wav.sizes() != examples[0].wav.sizes()) {
      throw ShapeError("collate: waveform of '" + ex.id + "' has " +
                       std::to_string(ex.wav.numel()) + " samples, the first of the batch " +
                       std::to_string(examples[0].wav.numel()) +
                       " (crop/pad the dataset to a fixed length)");
    }
    wavs.push_back(ex.wav);
    if (ex.semantic.defined()) sems.push_back(ex.semantic);
    b.ids.push_back(ex.id);
  }
  b.wav = torch::stack(wavs);
  // Semantic inputs (cached teacher states) only when every example has one; otherwise the
  // trainer runs the teacher for the whole batch.
  if (sems.size() == examples.size()) b.semantic = torch::stack(sems);
  return b;
}

struct DataLoader::State {
  DatasetPtr dataset;
  DataLoaderOptions options;

  std::mutex mutex;
  std::condition_variable cv;
  int64_t epoch = 0;
  std::vector<size_t> order;   // this epoch's indices for this rank
  int64_t next_to_build = 0;   // batch index a worker takes next
  int64_t next_to_return = 0;  // batch index next() returns next
  uint64_t generation = 0;     // bumped by seek(): stale results are dropped
  std::map<int64_t, Batch> ready;
  std::map<int64_t, std::exception_ptr> failed;
  bool stopping = false;
  std::vector<std::thread> workers;

  int64_t batches() const {
    const int64_t n = static_cast<int64_t>(order.size());
    const int64_t bs = options.batch_size;
    return options.drop_last ? n / bs : (n + bs - 1) / bs;
  }

  Example load_item(size_t position, int64_t ep) const {
    const size_t size = dataset->size();
    size_t index = order[position];
    for (int attempt = 0;; ++attempt) {
      const uint64_t seed =
          mix_seed(mix_seed(options.seed, static_cast<uint64_t>(ep)), index * 7 + attempt);
      try {
        return dataset->get(index, seed);
      } catch (const Error& e) {
        if (attempt >= options.max_replacements) {
          throw IoError(std::string("data: giving up after ") + std::to_string(attempt + 1) +
                        " unreadable items; last: " + e.what());
        }
        XCODEC_LOG_WARN("[data] skipping item " << index << ": " << e.what());
        index = static_cast<size_t>(mix_seed(index, attempt) % size);  // a deterministic stand-in
      }
    }
  }

  Batch build(int64_t batch, int64_t ep) const {
    const size_t begin = static_cast<size_t>(batch * options.batch_size);
    const size_t end = std::min(order.size(), begin + static_cast<size_t>(options.batch_size));
    std::vector<Example> items;
    items.reserve(end - begin);
    for (size_t p = begin; p < end; ++p) items.push_back(load_item(p, ep));
    Batch b = collate(items);
    b.epoch = ep;
    b.index = batch;
    return b;
  }

  void start_epoch(int64_t ep, int64_t batch) {
    epoch = ep;
    order = epoch_order(dataset->size(), options, ep);
    next_to_build = batch;
    next_to_return = batch;
    ready.clear();
    failed.clear();
    ++generation;
  }

  void worker_loop() {
    std::unique_lock<std::mutex> lock(mutex);
    while (true) {
      cv.wait(lock, [&] {
        return stopping || (next_to_build < batches() &&
                            next_to_build < next_to_return + options.prefetch_batches);
      });
      if (stopping) return;
      const int64_t batch = next_to_build++;
      const int64_t ep = epoch;
      const uint64_t gen = generation;
      lock.unlock();
      Batch b;
      std::exception_ptr error;
      try {
        b = build(batch, ep);
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      if (gen != generation) continue;  // seek() happened meanwhile
      if (error) {
        failed[batch] = error;
      } else {
        ready.emplace(batch, std::move(b));
      }
      cv.notify_all();
    }
  }
};

DataLoader::DataLoader(DatasetPtr dataset, DataLoaderOptions options)
    : state_(std::make_unique<State>()) {
  if (!dataset) throw ConfigError("data loader: no dataset");
  if (options.batch_size <= 0) throw ConfigError("batch_size must be positive");
  if (options.world_size <= 0 || options.rank < 0 || options.rank >= options.world_size) {
    throw ConfigError("data loader: rank " + std::to_string(options.rank) + " outside world size " +
                      std::to_string(options.world_size));
  }
  options.prefetch_batches = std::max(1, options.prefetch_batches);
  state_->dataset = std::move(dataset);
  state_->options = options;
  state_->start_epoch(0, 0);
  if (state_->batches() == 0) {
    throw ConfigError("data loader: " + std::to_string(state_->dataset->size()) +
                      " items give no full batch of " + std::to_string(options.batch_size) +
                      " on rank " + std::to_string(options.rank) + " of " +
                      std::to_string(options.world_size));
  }
  for (int i = 0; i < options.num_workers; ++i) {
    state_->workers.emplace_back([s = state_.get()] { s->worker_loop(); });
  }
}

DataLoader::~DataLoader() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->stopping = true;
  }
  state_->cv.notify_all();
  for (auto& t : state_->workers) t.join();
}

int64_t DataLoader::batches_per_epoch() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->batches();
}

void DataLoader::seek(int64_t epoch, int64_t batch) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->start_epoch(epoch, 0);
  if (batch < 0 || batch > state_->batches()) {
    throw ConfigError("data loader: cannot seek to batch " + std::to_string(batch) +
                      " of an epoch of " + std::to_string(state_->batches()));
  }
  if (batch == state_->batches()) {
    state_->start_epoch(epoch + 1, 0);
  } else {
    state_->next_to_build = state_->next_to_return = batch;
  }
  state_->cv.notify_all();
}

std::pair<int64_t, int64_t> DataLoader::position() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return {state_->epoch, state_->next_to_return};
}

Batch DataLoader::next() {
  State& s = *state_;
  std::unique_lock<std::mutex> lock(s.mutex);
  if (s.next_to_return >= s.batches()) {
    s.start_epoch(s.epoch + 1, 0);
    s.cv.notify_all();
  }
  const int64_t want = s.next_to_return;
  if (s.workers.empty()) {
    const int64_t ep = s.epoch;
    lock.unlock();
    Batch b = s.build(want, ep);
    lock.lock();
    ++s.next_to_return;
    s.next_to_build = s.next_to_return;
    return b;
  }
  s.cv.wait(lock, [&] { return s.ready.count(want) || s.failed.count(want); });
  if (auto it = s.failed.find(want); it != s.failed.end()) {
    std::exception_ptr e = it->second;
    s.failed.erase(it);
    std::rethrow_exception(e);
  }
  Batch b = std::move(s.ready.at(want));
  s.ready.erase(want);
  ++s.next_to_return;
  s.cv.notify_all();
  return b;
}

}  // namespace xcodec::data
