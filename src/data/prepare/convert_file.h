#pragma once
// Private: what `prepare` does with one source file — decode it, check its length, write its
// output — and the rules that need (duration limits, room for temporary names).
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <string>

#include "data/prepare/prepare_state.h"
#include "xcodec/audio/audio.h"
#include "xcodec/data/prepare/find_audio.h"
#include "xcodec/data/prepare/prepare.h"

namespace xcodec::data::detail {

/// Bytes the writer's temporary names add to an output name (".tmp.<pid>.<counter>", at most
/// 26), with room to spare.
inline constexpr size_t kTempSuffixReserve = 40;

/// Longest output name component in `dir`: kMaxOutputNameBytes (output_names.h), less where the
/// file system's NAME_MAX leaves no room for the temporary suffix.
size_t max_output_name_bytes(const std::filesystem::path& dir);

/// Why a decoded file of `num_samples` (at config.sample_rate) is outside --min-seconds /
/// --max-seconds ("" when inside).
std::string duration_reject_reason(int64_t num_samples, const PrepareConfig& config);

/// A failure to write an output that is not the source's fault (disk full, permissions): it
/// stops the run rather than marking file after file as bad.
struct WriteFailed {
  std::exception_ptr error;
};

/// Converts `source` (relative to `input`) to `audio_dir`/`output` and returns the state row that
/// records what became of it: "ok", "filtered" (outside the duration limits; nothing written),
/// "bad" (damaged audio, a file whose name promises audio but whose content is not, an output
/// path it cannot have) or "ignored" (not audio by content). `*seconds` receives the decoded
/// length. Throws only WriteFailed.
StateRow convert_file(const std::filesystem::path& input, const std::filesystem::path& audio_dir,
                      const SourceFile& source, const std::string& output,
                      const PrepareConfig& config, const audio::ReadOptions& read_options,
                      audio::AudioFileFormat out_format, double* seconds);

}  // namespace xcodec::data::detail
