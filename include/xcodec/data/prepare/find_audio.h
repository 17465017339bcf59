#pragma once
/// Recursive discovery of source audio files for `xcodec prepare`.
#include <cstdint>
#include <string>
#include <vector>

#include "xcodec/data/registry/metadata.h"

namespace xcodec::data {

/// A candidate source file.
struct SourceFile {
  std::string relative_path;  // '/'-separated, relative to the walked root
  int64_t size = 0;           // bytes (of the link target for a file symlink)
  int64_t mtime_ns = 0;       // modification time, nanoseconds since the epoch
};

/// What a walk found.
struct FoundFiles {
  std::vector<SourceFile> files;          // audio candidates, sorted by relative_path
  std::vector<SkippedFile> unreadable;    // broken links, unreadable folders, ...
  int64_t ignored = 0;                    // files without an audio extension, hidden files
  std::vector<std::string> dir_symlinks;  // directory symlinks seen and not followed
};

/// Walks `root` recursively without following directory symlinks (so link loops cannot trap
/// it); follows file symlinks. Hidden entries (names starting with '.') are ignored, and so is
/// `exclude_dir` (absolute, may be empty) — the output folder when it lies inside the input.
/// Throws IoError when `root` is not a readable folder.
FoundFiles find_audio_files(const std::string& root, const std::string& exclude_dir = "");

}  // namespace xcodec::data
