#pragma once
/// train.tsv / val.tsv / test.tsv: one utterance per line, `<relative-path>\t<num-samples>`.
/// Paths are relative to the dataset's audio folder (`processed/NAME/audio`), '/'-separated;
/// num-samples is the length of the processed (mono, target-rate) file in samples.
#include <cstdint>
#include <string>
#include <vector>

namespace xcodec::data {

/// The three splits of a prepared dataset.
enum class Split { kTrain = 0, kVal = 1, kTest = 2 };
inline constexpr int kNumSplits = 3;

/// "train", "val", "test".
std::string split_name(Split split);
/// Parses "train", "val" (or "valid", "dev"), "test"; throws ConfigError naming the value.
Split parse_split(const std::string& name);
/// File name of a split's list: "train.tsv", "val.tsv", "test.tsv".
std::string split_file_name(Split split);

/// One line of a split list.
struct SplitEntry {
  std::string relative_path;  // '/'-separated, relative to processed/NAME/audio
  int64_t num_samples = 0;    // samples of the processed file (mono, dataset sample rate)
};

/// Reads a split list. Empty lines are ignored. Throws IoError naming file and line when a line
/// is not `<path>\t<non-negative integer>`, or the path is absolute or contains "..".
std::vector<SplitEntry> read_split_tsv(const std::string& path);

/// Writes a split list atomically (temp file + rename). Throws IoError when a path contains a
/// tab or newline, or the file cannot be written.
void write_split_tsv(const std::string& path, const std::vector<SplitEntry>& entries);

}  // namespace xcodec::data
