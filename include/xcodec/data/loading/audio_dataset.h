#pragma once
/// Registered datasets (datasets.json + <split>.tsv, see docs/data.md) as loader Datasets.
#include <string>
#include <vector>

#include "xcodec/data/loading/dataset.h"
#include "xcodec/data/registry/registry.h"

namespace xcodec::data {

/// One split of one registered dataset: item i is the i-th TSV line's file, read as mono at
/// `sample_rate` (resampled when the dataset was prepared at another rate). Throws ConfigError
/// when the dataset is not registered (listing the registered ones) and IoError when its TSV
/// cannot be read. Unreadable audio surfaces from get() as IoError, for the loader to replace.
DatasetPtr make_audio_dataset(const DatasetRegistry& registry, const std::string& name, Split split,
                              int sample_rate);

/// What the training loader reads: `names` from the registry in `data_dir`, combined (with
/// optional per-dataset `weights`), each item cropped (at a seeded random start when
/// `random_crop`, else at 0) or zero-padded to exactly `crop_length` samples.
struct CorpusOptions {
  std::string data_dir;            ///< folder holding datasets.json
  std::vector<std::string> names;  ///< registered dataset names
  std::vector<double> weights;     ///< empty = each item once per epoch
  Split split = Split::kTrain;     ///< which TSV
  int sample_rate = 16000;         ///< Hz
  int64_t crop_length = 96000;     ///< samples
  bool random_crop = true;         ///< false: crops start at 0 (validation)
  int64_t crop_align = 1;          ///< crop starts are multiples of this (320 with a feature cache)
};
DatasetPtr make_corpus(const CorpusOptions& options);

}  // namespace xcodec::data
