#pragma once
/// Datasets behind `size()` + `get(i)`, composed by wrappers (crop/pad, transforms, mixtures),
/// so that nothing downstream special-cases a corpus (flashlight-style; STYLE.md §14).
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace xcodec::data {

/// One training example.
struct Example {
  torch::Tensor wav;       ///< [L] float32 mono waveform at the dataset's sample rate
  torch::Tensor semantic;  ///< optional teacher input ([T, 160] features or [T, H] cached
                           ///< hidden states); undefined when the pipeline has none
  int64_t offset = 0;      ///< sample index in the source file where `wav` starts (crop start)
  std::string id;          ///< "<dataset>/<relative path>", for logs
};

/// A random-access dataset. `seed` fully determines any randomness in `get` (crop position,
/// mixture draw), so results do not depend on which thread asks or in what order.
class Dataset {
 public:
  virtual ~Dataset() = default;
  /// Number of items.
  virtual size_t size() const = 0;
  /// Item `index` (< size()); throws xcodec::Error when it cannot be produced (e.g. unreadable
  /// file) so that the loader can replace it.
  virtual Example get(size_t index, uint64_t seed) const = 0;
};

using DatasetPtr = std::shared_ptr<const Dataset>;

/// Crops (at a seeded uniformly random start, or at 0 when `random` is false) or right-pads
/// with zeros to exactly `length` samples. `align` restricts crop starts to multiples of it
/// (e.g. 320, so that cached 50 Hz teacher frames line up); 1 = any start.
DatasetPtr crop_pad(DatasetPtr inner, int64_t length, bool random = true, int64_t align = 1);

/// Applies `fn` to each example (e.g. computes teacher features of the cropped waveform).
DatasetPtr map(DatasetPtr inner, std::function<Example(Example, uint64_t seed)> fn);

/// Several datasets as one. Without weights (empty vector) this is a concatenation: each item
/// appears once per epoch. With weights (one per dataset, >= 0, not all 0), item i is drawn from
/// dataset d with probability weights[d] / sum(weights), uniformly within it, seeded by (seed, i);
/// the combined size stays the sum of the sizes (one "epoch" = that many draws).
DatasetPtr combine(std::vector<DatasetPtr> datasets, std::vector<double> weights = {});

/// Mixes two 64-bit values into a well-spread seed (splitmix64); used to derive per-item seeds.
uint64_t mix_seed(uint64_t a, uint64_t b);

}  // namespace xcodec::data
