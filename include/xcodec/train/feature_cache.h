#pragma once
/// Precomputed teacher hidden states (`xcodec features`), one .npy per utterance under
///   DATA/processed/NAME/features/layer<L>/<relative path>.npy   ([T, hidden] float32)
/// plus `cache.json` describing the teacher (config fingerprint, layer, hidden size).
///
/// Each file holds the teacher run on the whole utterance, padded like X-Codec-2.0 inference
/// (T = floor(N/320) + 1 frames). Training crops that start on a 320-sample boundary and lie
/// inside the file take their 300 frames from it instead of running the teacher. Note: the
/// original recipe computes features on the 6 s crop (per-crop normalisation and attention),
/// so cached states are an approximation traded for speed (docs/training.md).
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace xcodec::data {
class DatasetRegistry;
}

namespace xcodec::train {

struct FeatureCacheOptions {
  std::string data_dir;        ///< folder holding datasets.json
  std::string dataset;         ///< registered dataset name
  std::string teacher;         ///< folder with the w2v-BERT config.json + model.safetensors
  int64_t layer = 16;          ///< hidden_states index to cache
  std::string device = "cpu";  ///< "cpu" or "cuda[:N]"
};

struct FeatureCacheReport {
  int64_t computed = 0;  ///< files written by this run
  int64_t existing = 0;  ///< files already cached (resumed)
  int64_t failed = 0;    ///< files that could not be read
  double audio_seconds = 0;
  double wall_seconds = 0;
  std::string cache_dir;
};

/// Computes missing cache files for every split of the dataset; resumable (existing files are
/// kept) and atomic per file. Throws ConfigError/IoError for a bad dataset or teacher.
FeatureCacheReport build_feature_cache(const FeatureCacheOptions& options);

/// Read side, used by the training loader.
class FeatureCache {
 public:
  /// The cache of `dataset` for `layer`, if one exists whose teacher has `hidden_size`.
  static std::shared_ptr<const FeatureCache> open(const data::DatasetRegistry& registry,
                                                  const std::string& dataset, int64_t layer,
                                                  int64_t hidden_size);
  /// Frames [start_frame, start_frame + num_frames) of an utterance, or nothing when the file
  /// is absent or too short (the caller then runs the teacher).
  std::optional<torch::Tensor> frames(const std::string& relative_path, int64_t start_frame,
                                      int64_t num_frames) const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

/// DATA/processed/NAME/features/layer<L>.
std::string feature_cache_dir(const data::DatasetRegistry& registry, const std::string& dataset,
                              int64_t layer);

}  // namespace xcodec::train
