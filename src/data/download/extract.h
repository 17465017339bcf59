#pragma once
// Private: safe archive extraction on libarchive. Every member name is checked before anything
// is written: absolute paths, ".." components, symbolic links whose target leaves the target
// folder and hard links to anything outside it are refused (IoError naming archive and member),
// as are members that would be written through a symbolic link (libarchive's
// ARCHIVE_EXTRACT_SECURE_SYMLINKS). Members go to a staging folder inside the target first and
// are moved into place only when the whole archive was read, so a refused or truncated archive
// leaves nothing behind, under a final name or outside the target.
#include <cstdint>
#include <string>

namespace xcodec::data::download {

struct ExtractResult {
  int64_t files = 0;    // regular files (and links) written
  int64_t bytes = 0;    // bytes of file content written
  int64_t skipped = 0;  // members left out (devices, FIFOs; non-audio members of a shard)
};

/// True for names libarchive is asked to unpack here: .tar, .tar.gz, .tgz, .tar.bz2, .tbz2,
/// .tar.xz, .txz, .tar.zst, .zip.
bool is_archive_name(const std::string& name);

/// Unpacks every member of `archive` below `dest_dir` (created if needed), keeping the paths.
ExtractResult extract_archive(const std::string& archive, const std::string& dest_dir);

/// WebDataset shard: writes each audio member (by extension, xcodec/audio/audio_extensions.h)
/// to `dest_dir/<key>.<ext>`, where the key is the member path up to the first '.' of its file
/// name (the WebDataset sample key, i.e. the clip id); other members (.json, .txt, …) are
/// skipped. The same safety checks apply.
ExtractResult extract_webdataset_audio(const std::string& shard, const std::string& dest_dir);

/// The member path with "." components removed, or throws IoError (naming `archive` and
/// `member`) when it is absolute, empty, or has a ".." component. Exposed for tests.
std::string checked_member_path(const std::string& archive, const std::string& member);

}  // namespace xcodec::data::download
