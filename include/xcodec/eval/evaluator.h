#pragma once
/// `xcodec eval`: reconstructs every file of a registered dataset split or a folder with a codec
/// and reports per-file and mean quality (STOI, ESTOI, SI-SDR, mel distance, log-spectral
/// distance), the codec's bitrate, tokens/s, codebook usage and code entropy, and the real-time
/// factor; optionally PNG spectrogram comparisons of the first files.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace xcodec::eval {

struct EvalOptions {
  std::string model;           ///< weights (.safetensors) for xcodec::Codec::load
  std::string teacher;         ///< w2v-BERT folder when the weights do not carry it
  std::string device = "cpu";  ///< cpu, cuda, cuda:N
  std::string data_dir;        ///< with `dataset`: folder holding datasets.json
  std::string dataset;         ///< "NAME" or "NAME:split" (default split: test)
  std::string dir;             ///< or: a folder of audio files (recursive)
  std::string output;          ///< report.json path ("" = do not write)
  int64_t max_files = 0;       ///< 0 = all
  int64_t spectrograms = 3;    ///< PNG comparisons written next to the report (first N files)
};

/// Runs the evaluation and returns the report (also written to options.output when set).
/// Files that fail are listed under "failed"; throws when no file could be evaluated.
nlohmann::json run_evaluation(const EvalOptions& options);

}  // namespace xcodec::eval
