#pragma once
/// processed/NAME/metadata.json: what `xcodec prepare` produced for one dataset.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "xcodec/data/registry/split_tsv.h"

namespace xcodec::data {

/// Size of one split.
struct SplitSummary {
  int64_t files = 0;    // utterances (lines of the split's TSV)
  int64_t samples = 0;  // audio samples, summed over the files
  double hours = 0.0;   // samples / sample_rate / 3600
};

/// A source file that was not used, and why.
struct SkippedFile {
  std::string path;    // relative to the source folder
  std::string reason;  // e.g. "'…': empty file", "too short (0.2 s < 0.5 s)"
};

/// Contents of metadata.json. JSON keys equal the field names; splits are an object keyed by
/// "train", "val", "test".
struct DatasetMetadata {
  int format_version = 1;      // of this file
  std::string name;            // dataset name (registry key)
  int sample_rate = 0;         // Hz of every processed file
  std::string audio_format;    // "wav" (16-bit PCM), "wav-float" or "flac"
  std::string source_dir;      // absolute path of the folder it was prepared from
  std::string created;         // ISO-8601 UTC time of the first run
  std::string updated;         // ISO-8601 UTC time of the latest run
  std::string xcodec_version;  // program version of the latest run
  double val_fraction = 0.0;   // hash-rule share of the val split
  double test_fraction = 0.0;  // hash-rule share of the test split
  double min_seconds = 0.0;    // files shorter were skipped (0 = no limit)
  double max_seconds = 0.0;    // files longer were skipped (0 = no limit)
  std::array<SplitSummary, kNumSplits> splits{};  // indexed by Split
  std::vector<SkippedFile> skipped;               // every unusable source file
};

/// Reads metadata.json; throws IoError naming the file and the key at fault.
DatasetMetadata read_metadata(const std::string& path);
/// Writes metadata.json atomically (pretty-printed JSON).
void write_metadata(const std::string& path, const DatasetMetadata& metadata);

}  // namespace xcodec::data
