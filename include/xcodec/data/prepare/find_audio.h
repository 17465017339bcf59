#pragma once
/// Recursive discovery of source files for `xcodec prepare`. Names do not decide what is audio:
/// every regular file is a candidate, and its content is probed when it is converted.
#include <cstdint>
#include <string>
#include <vector>

#include "xcodec/data/registry/metadata.h"

namespace xcodec::data {

/// A candidate source file.
struct SourceFile {
  std::string relative_path;  // '/'-separated, relative to the walked root (bytes as stored)
  int64_t size = 0;           // bytes (of the link target for a file symlink)
  int64_t mtime_ns = 0;       // modification time, nanoseconds since the epoch
};

/// What a walk found. Every entry below the root that is not searched further appears in
/// exactly one list.
struct FoundFiles {
  std::vector<SourceFile> files;          // candidates (regular files), sorted by relative_path
  std::vector<SkippedFile> unreadable;    // folders that cannot be listed, files that cannot be
                                          // stat()ed: perhaps audio, but unusable
  std::vector<SkippedFile> ignored;       // system junk, links and folders not followed, FIFOs,
                                          // devices (folders end in '/'); sorted by path
  std::vector<std::string> dir_symlinks;  // directory symlinks seen and not followed (also in
                                          // `ignored`)
};

/// Why the file or folder `name` is system junk that is never read ("" when it is not):
/// AppleDouble files (`._x.wav`), `.DS_Store`, `Thumbs.db`, `desktop.ini` (case-insensitive);
/// with `is_dir`, hidden folders (`.git/`, `.Trash/`) and `__MACOSX/`.
std::string junk_reason(const std::string& name, bool is_dir);

/// Walks `root` recursively without following directory symlinks (so link loops cannot trap
/// it); follows file symlinks. Junk (junk_reason) is listed as ignored and not descended into,
/// and so is `exclude_dir` (absolute, may be empty) — the output folder when it lies inside the
/// input. Throws IoError when `root` is not a readable folder.
FoundFiles find_audio_files(const std::string& root, const std::string& exclude_dir = "");

}  // namespace xcodec::data
