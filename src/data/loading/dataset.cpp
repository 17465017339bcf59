#include "xcodec/data/loading/dataset.h"

#include <torch/torch.h>

#include <numeric>
#include <random>

#include "xcodec/core/error.h"

namespace xcodec::data {

uint64_t mix_seed(uint64_t a, uint64_t b) {
  uint64_t z = a + 0x9e3779b97f4a7c15ull * (b + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

namespace {

class CropPadDataset final : public Dataset {
 public:
  CropPadDataset(DatasetPtr inner, int64_t length, bool random, int64_t align)
      : inner_(std::move(inner)), length_(length), random_(random), align_(align) {
    if (length_ <= 0)
      throw ConfigError("crop length must be positive, got " + std::to_string(length_));
    if (align_ <= 0)
      throw ConfigError("crop alignment must be positive, got " + std::to_string(align_));
  }
  size_t size() const override { return inner_->size(); }
  Example get(size_t index, uint64_t seed) const override {
    Example ex = inner_->get(index, mix_seed(seed, 1));
    const int64_t n = ex.wav.size(0);
    if (n < length_) {
      ex.wav = torch::constant_pad_nd(ex.wav, {0, length_ - n}, 0.0);
      return ex;
    }
    int64_t start = 0;
    const int64_t slots = (n - length_) / align_;  // starts 0, align, ..., slots*align
    if (random_ && slots > 0) {
      std::mt19937_64 rng(mix_seed(seed, 2));
      start = std::uniform_int_distribution<int64_t>(0, slots)(rng) * align_;
    }
    ex.wav = ex.wav.narrow(0, start, length_).contiguous();
    ex.offset += start;
    return ex;
  }

 private:
  DatasetPtr inner_;
  int64_t length_;
  bool random_;
  int64_t align_;
};

class MapDataset final : public Dataset {
 public:
  MapDataset(DatasetPtr inner, std::function<Example(Example, uint64_t)> fn)
      : inner_(std::move(inner)), fn_(std::move(fn)) {}
  size_t size() const override { return inner_->size(); }
  Example get(size_t index, uint64_t seed) const override {
    return fn_(inner_->get(index, mix_seed(seed, 3)), mix_seed(seed, 4));
  }

 private:
  DatasetPtr inner_;
  std::function<Example(Example, uint64_t)> fn_;
};

class CombinedDataset final : public Dataset {
 public:
  CombinedDataset(std::vector<DatasetPtr> datasets, std::vector<double> weights)
      : datasets_(std::move(datasets)) {
    if (datasets_.empty()) throw ConfigError("dataset.names: at least one dataset is needed");
    for (const auto& d : datasets_) {
      offsets_.push_back(total_);
      total_ += d->size();
    }
    if (!weights.empty()) {
      if (weights.size() != datasets_.size()) {
        throw ConfigError("dataset.weights: " + std::to_string(weights.size()) + " weights for " +
                          std::to_string(datasets_.size()) + " datasets");
      }
      double sum = 0;
      for (size_t d = 0; d < weights.size(); ++d) {
        if (!(weights[d] >= 0) || !std::isfinite(weights[d])) {
          throw ConfigError("dataset.weights[" + std::to_string(d) +
                            "] must be a finite number >= 0");
        }
        if (weights[d] > 0 && datasets_[d]->size() == 0) {
          throw ConfigError("dataset.weights[" + std::to_string(d) + "] > 0 for an empty dataset");
        }
        sum += weights[d];
      }
      if (sum <= 0) throw ConfigError("dataset.weights: all weights are 0");
      double acc = 0;
      for (double w : weights) cumulative_.push_back(acc += w / sum);
      cumulative_.back() = 1.0;
    }
  }
  size_t size() const override { return total_; }
  Example get(size_t index, uint64_t seed) const override {
    if (cumulative_.empty()) {
      const size_t d =
          std::upper_bound(offsets_.begin(), offsets_.end(), index) - offsets_.begin() - 1;
      return datasets_[d]->get(index - offsets_[d], seed);
    }
    std::mt19937_64 rng(mix_seed(seed, 5));
    const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    size_t d = std::lower_bound(cumulative_.begin(), cumulative_.end(), u) - cumulative_.begin();
    d = std::min(d, datasets_.size() - 1);
    while (datasets_[d]->size() == 0) d = (d + 1) % datasets_.size();  // weight 0 can't be picked
    const size_t item = std::uniform_int_distribution<size_t>(0, datasets_[d]->size() - 1)(rng);
    return datasets_[d]->get(item, seed);
  }

 private:
  std::vector<DatasetPtr> datasets_;
  std::vector<size_t> offsets_;
  std::vector<double> cumulative_;
  size_t total_ = 0;
};

}  // namespace

DatasetPtr crop_pad(DatasetPtr inner, int64_t length, bool random, int64_t align) {
  return std::make_shared<CropPadDataset>(std::move(inner), length, random, align);
}

DatasetPtr map(DatasetPtr inner, std::function<Example(Example, uint64_t)> fn) {
  return std::make_shared<MapDataset>(std::move(inner), std::move(fn));
}

DatasetPtr combine(std::vector<DatasetPtr> datasets, std::vector<double> weights) {
  return std::make_shared<CombinedDataset>(std::move(datasets), std::move(weights));
}

}  // namespace xcodec::data
