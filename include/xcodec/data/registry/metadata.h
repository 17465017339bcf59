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
  std::string path;    // relative to the source folder, bytes as the file system has them
  std::string reason;  // e.g. "empty file", "too short (0.2 s < 0.5 s)", "not audio (...)"
};

/// A source whose output is not simply its relative path with the new extension (an escaped,
/// shortened or disambiguated name; see xcodec/data/prepare/output_names.h).
struct RenamedFile {
  std::string path;    // source, relative to the source folder (bytes as the file system has them)
  std::string output;  // output, relative to processed/NAME/audio (as in the split lists)
};

/// Contents of metadata.json. JSON keys equal the field names; splits are an object keyed by
/// "train", "val", "test"; the file accounting sits in an object "files" (format_version 2):
///
///   "files": { "found": 15, "converted": 7,
///              "skipped": [{"path": "broken/a.wav", "reason": "empty file"}, ...],
///              "ignored": [{"path": "notes.txt", "reason": "not audio (...)"}, ...],
///              "renamed": [{"path": "caf%E9.flac", "output": "caf%E9.wav"}, ...] }
///
/// Paths are stored escaped with escape_name (registry/name_escape.h) and unescaped on reading,
/// so names that are not UTF-8 survive. Version 1 files (a top-level "skipped" list) are read too.
struct DatasetMetadata {
  int format_version = 2;      // of this file
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
  int64_t found = 0;                 // input entries accounted for: converted + skipped + ignored
  int64_t converted = 0;             // usable sources (lines of the split lists)
  std::vector<SkippedFile> skipped;  // unusable sources (audio that failed, too short, ...)
  std::vector<SkippedFile> ignored;  // not audio, system junk, links and folders not followed
  std::vector<RenamedFile> renamed;  // sources whose output name is not the plain one
};

/// Reads metadata.json; throws IoError naming the file and the key at fault.
DatasetMetadata read_metadata(const std::string& path);
/// Writes metadata.json atomically (pretty-printed JSON).
void write_metadata(const std::string& path, const DatasetMetadata& metadata);

}  // namespace xcodec::data
