#pragma once
/// `xcodec prepare`: turns a folder of audio files into a registered dataset.
///
///   DATA/datasets.json                         registry (see registry.h)
///   DATA/processed/NAME/audio/<rel>.<wav|flac>  mono, sample_rate Hz, same relative paths
///                                               (escaped, shortened, disambiguated: see
///                                               output_names.h)
///   DATA/processed/NAME/{train,val,test}.tsv    `<path under audio/>\t<num-samples>`
///   DATA/processed/NAME/metadata.json           sizes per split; every input file converted,
///                                               skipped or ignored, with reasons
///   DATA/processed/NAME/.prepare-state.tsv      per source: size, mtime, result (for re-runs)
///
/// Every file below the input folder is probed by content (not by name); what is not audio is
/// ignored with a reason, audio that cannot be used is skipped with a reason. Re-runs skip
/// sources whose size and modification time are unchanged and whose output exists; an
/// interrupted run resumes from the last state checkpoint. Outputs are written to a temporary
/// name and renamed, so no half-written file ever has a final name.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "xcodec/data/registry/metadata.h"

namespace xcodec::data {

/// Options of one prepare run. Field names equal the CLI flags (with '-' for '_').
struct PrepareConfig {
  std::string dataset;            // registry name of the dataset ([A-Za-z0-9._-])
  std::string input_dir;          // folder with the source audio, walked recursively
  std::string output_dir;         // data folder (holds datasets.json and processed/)
  int sample_rate = 16000;        // Hz of the processed audio
  std::string format = "wav";     // "wav" (16-bit PCM), "wav-float" or "flac" (16-bit)
  int jobs = 0;                   // worker threads; 0 = all cores
  double val_fraction = 0.01;     // share of hash-assigned files that go to val, in [0, 1)
  double test_fraction = 0.01;    // share of hash-assigned files that go to test, in [0, 1)
  double min_seconds = 0.1;       // shorter files are skipped; 0 = no lower limit
  double max_seconds = 0.0;       // longer files are skipped; 0 = no upper limit
  bool strict = false;            // the run fails when any file was skipped
  std::string progress = "auto";  // "auto" (bar on a terminal, else lines), "bar", "lines", "none"
  double progress_interval_s = 10.0;  // seconds between plain progress lines
  double file_time_limit_s = 300.0;   // wall-clock seconds allowed to decode one file; 0 = none
  bool handle_signals = false;        // SIGINT/SIGTERM stop cleanly (state saved) -> Interrupted

  /// Throws ConfigError naming the field when a value is out of range.
  void validate() const;
};

/// What a run did.
struct PrepareResult {
  std::string dataset_dir;                        // DATA/processed/NAME
  std::array<SplitSummary, kNumSplits> splits{};  // usable files per split (indexed by Split)
  int64_t found = 0;      // input entries accounted for: usable() + skipped + ignored
  int64_t converted = 0;  // decoded and written in this run
  int64_t unchanged = 0;  // reused from an earlier run (same size and mtime, output present)
  std::vector<SkippedFile> skipped;  // unusable files with reasons (sorted by path)
  std::vector<SkippedFile> ignored;  // not audio, system junk, links not followed (sorted)
  std::vector<RenamedFile> renamed;  // usable sources whose output name is not the plain one
  int64_t removed_stale = 0;         // outputs of sources that disappeared, deleted in this run
  double wall_s = 0.0;               // seconds the run took
  double converted_hours = 0.0;      // hours of audio converted in this run
  bool registered = false;           // datasets.json was updated

  int64_t usable() const { return splits[0].files + splits[1].files + splits[2].files; }
  double hours() const { return splits[0].hours + splits[1].hours + splits[2].hours; }
};

/// Runs the whole pipeline (see the file comment). No single file stops the run (whatever its
/// name or content, and whatever it throws): each is listed in the result and in metadata.json.
/// Throws IoError when nothing usable was found (metadata.json is still written; the registry is
/// not touched), ConfigError for bad options, Interrupted when stopped by a signal
/// (handle_signals). With `strict`, the dataset is written and registered, then Error is thrown
/// when anything was skipped.
PrepareResult prepare_dataset(const PrepareConfig& config);

}  // namespace xcodec::data
