#pragma once
/// Writes that never leave a half-written file under its final name.
#include <string>

namespace xcodec::io {

/// Writes `data` to `path` through a temporary file in the same folder, fsync and rename.
/// Throws IoError naming the path on failure.
void write_file_atomic(const std::string& path, const std::string& data);

/// A unique temporary name beside `path` (same folder, so rename() is atomic).
std::string temp_path_for(const std::string& path);

/// Renames `from` to `to` (atomic on one filesystem); throws IoError on failure.
void commit_file(const std::string& from, const std::string& to);

/// Reads a whole file; throws IoError naming the path on failure.
std::string read_file(const std::string& path);

}  // namespace xcodec::io
