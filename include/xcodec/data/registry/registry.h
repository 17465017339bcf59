#pragma once
/// DATA/datasets.json: the registry of prepared datasets under one data folder.
///
///   auto reg = xcodec::data::DatasetRegistry::load("./data");
///   const auto& e = reg.entry("librispeech");        // throws if not registered
///   std::string audio_dir = reg.audio_dir("librispeech");  // DATA/processed/librispeech/audio
///   auto train = xcodec::data::read_split_tsv(reg.split_path("librispeech", Split::kTrain));
///
/// File format (JSON), the original X-Codec-2.0 layout: a mapping from dataset name to entry,
///   { "NAME": { "path": "processed/NAME", "sample_rate": 16000, "audio_format": "wav",
///               "stats": { "train_samples": 1200, "val_samples": 12, "test_samples": 12,
///                          "train_hours": 1.5, "val_hours": 0.01, "test_hours": 0.01 } } }
/// `path` is relative to the data folder (absolute paths are accepted too), so a data folder can
/// be moved. `*_samples` count utterances (lines of the split TSV); the `*_hours` (their audio)
/// are xcodec's extra keys inside "stats". Registries written by older xcodec versions,
/// `{"format_version": 1, "datasets": {NAME: entry}}`, are read too and rewritten in the
/// documented layout by the next update or remove.
/// Updates take an exclusive flock on DATA/datasets.json.lock, re-read the file, change one
/// entry and replace the file atomically, so concurrent `prepare` runs never lose an entry.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "xcodec/data/registry/split_tsv.h"

namespace xcodec::data {

/// Utterance counts and hours per split, as stored in the registry.
struct DatasetStats {
  int64_t train_samples = 0;  // utterances in train.tsv
  int64_t val_samples = 0;    // utterances in val.tsv
  int64_t test_samples = 0;   // utterances in test.tsv
  double train_hours = 0.0;   // hours of audio in train.tsv
  double val_hours = 0.0;     // hours of audio in val.tsv
  double test_hours = 0.0;    // hours of audio in test.tsv
};

/// One registered dataset.
struct DatasetEntry {
  std::string name;          // registry key: [A-Za-z0-9._-], not starting with '.'
  std::string path;          // dataset folder, relative to the data folder (or absolute)
  int sample_rate = 0;       // Hz of every processed file
  std::string audio_format;  // "wav", "wav-float" or "flac"
  DatasetStats stats;        // split sizes
};

/// Throws ConfigError unless `name` is a valid dataset name (see DatasetEntry::name).
void validate_dataset_name(const std::string& name);

/// An immutable snapshot of DATA/datasets.json.
class DatasetRegistry {
 public:
  /// Name of the registry file inside the data folder.
  static constexpr const char* kFileName = "datasets.json";

  /// Reads DATA/datasets.json; a missing file is an empty registry. Throws IoError naming the
  /// file and key when it is malformed.
  static DatasetRegistry load(const std::string& data_dir);

  /// Adds or replaces `entry` in DATA/datasets.json under the registry lock (creates the
  /// folder and the file when needed). Other entries are preserved as they are on disk.
  static void update(const std::string& data_dir, const DatasetEntry& entry);
  /// Removes `name` (no-op when absent), under the lock.
  static void remove(const std::string& data_dir, const std::string& name);

  /// The data folder this snapshot was loaded from.
  const std::string& data_dir() const { return data_dir_; }
  /// Registered names, sorted.
  std::vector<std::string> names() const;
  bool contains(const std::string& name) const { return entries_.count(name) != 0; }
  /// The entry `name`; throws ConfigError naming it and listing the registered ones.
  const DatasetEntry& entry(const std::string& name) const;
  /// Absolute-or-data-dir-relative folder of dataset `name` (DATA/processed/NAME).
  std::string dataset_dir(const std::string& name) const;
  /// Folder the TSV paths are relative to (DATA/processed/NAME/audio).
  std::string audio_dir(const std::string& name) const;
  /// Path of a split list (DATA/processed/NAME/<split>.tsv).
  std::string split_path(const std::string& name, Split split) const;
  /// Path of the dataset's metadata.json.
  std::string metadata_path(const std::string& name) const;

 private:
  std::string data_dir_;
  std::map<std::string, DatasetEntry> entries_;
};

}  // namespace xcodec::data
