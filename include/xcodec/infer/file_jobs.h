#pragma once
/// File and folder front-ends of the Codec used by `xcodec encode|decode|reconstruct`:
/// a file or a whole tree (mirrored under the output), worker threads, progress, resumable
/// (existing outputs are skipped), bad inputs reported and skipped.
#include <cstdint>
#include <string>
#include <vector>

#include "xcodec/xcodec.h"

namespace xcodec::infer {

enum class FileJobKind { kEncode, kDecode, kReconstruct };

struct FileJobOptions {
  FileJobKind kind = FileJobKind::kEncode;
  std::string input;   ///< a file, or a folder walked recursively (symlinked folders not followed)
  std::string output;  ///< a file (for a file input) or a folder (mirrored tree)
  int jobs = 1;        ///< files processed in parallel
  bool overwrite = false;         ///< recompute outputs that already exist (folders; a single input
                                  ///< file's named output is always replaced)
  std::string progress = "auto";  ///< "auto" (bar on a terminal), "lines", "none"
};

struct FileJobReport {
  int64_t done = 0;                                         ///< outputs written
  int64_t existing = 0;                                     ///< outputs already present (skipped)
  std::vector<std::pair<std::string, std::string>> failed;  ///< input, reason
  double audio_seconds = 0;  ///< audio processed (input for encode, output for decode)
  double wall_seconds = 0;
};

/// Runs the job; throws IoError when the input does not exist or holds no candidate file.
FileJobReport run_file_jobs(const Codec& codec, const FileJobOptions& options);

/// Intra-op threads per job when the user names none: the usable CPUs shared among `jobs`
/// (at least 1). LibTorch's own default can be a single thread (OpenMP's, on some machines).
int default_threads_per_job(int jobs);

/// Codes as written by `xcodec encode`: .npy int32 [num_quantizers, frames].
void save_codes(const std::string& path, const Codes& codes);
/// Reads such a file (int16/int32/int64 accepted); `frame_rate` is filled in by the caller.
/// Throws IoError/ShapeError naming the file for a wrong dtype or shape.
Codes load_codes(const std::string& path);

}  // namespace xcodec::infer
