#pragma once
// Helpers of the downloader tests: archives built with libarchive in memory, a quick config.
#include <archive.h>
#include <archive_entry.h>

#include <filesystem>
#include <string>
#include <vector>

#include "xcodec/data/download/download.h"

namespace xcodec::testing {

struct ArchiveMember {
  enum class Kind { kFile, kDir, kSymlink, kHardlink };
  std::string path;
  std::string data;  // file content
  Kind kind = Kind::kFile;
  std::string link;  // target of a symbolic or hard link
};

/// A tar (gzip-compressed when `gzip`) holding `members` in order, as bytes.
inline std::string make_tar(const std::vector<ArchiveMember>& members, bool gzip = false) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (gzip) archive_write_add_filter_gzip(a);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(
      a, &out, nullptr,
      [](archive*, void* user, const void* buf, size_t n) -> la_ssize_t {
        static_cast<std::string*>(user)->append(static_cast<const char*>(buf), n);
        return static_cast<la_ssize_t>(n);
      },
      nullptr);
  for (const auto& m : members) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, m.path.c_str());
    archive_entry_set_mtime(e, 1700000000, 0);
    switch (m.kind) {
      case ArchiveMember::Kind::kFile:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, static_cast<la_int64_t>(m.data.size()));
        break;
      case ArchiveMember::Kind::kDir:
        archive_entry_set_filetype(e, AE_IFDIR);
        archive_entry_set_perm(e, 0755);
        break;
      case ArchiveMember::Kind::kSymlink:
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_perm(e, 0777);
        archive_entry_set_symlink(e, m.link.c_str());
        break;
      case ArchiveMember::Kind::kHardlink:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_hardlink(e, m.link.c_str());
        archive_entry_set_size(e, 0);
        break;
    }
    archive_write_header(a, e);
    if (m.kind == ArchiveMember::Kind::kFile && !m.data.empty()) {
      archive_write_data(a, m.data.data(), m.data.size());
    }
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

/// `n` bytes of a fixed pseudo-random pattern (seeded by `seed`).
inline std::string pattern_bytes(size_t n, uint32_t seed = 1) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : s) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

/// A quiet, fast configuration writing into `dir`/raw (state in `dir`).
inline data::DownloadConfig quick_config(const std::filesystem::path& dir, int jobs = 1) {
  data::DownloadConfig c;
  c.output_dir = (dir / "raw").string();
  c.jobs = jobs;
  c.retries = 2;
  c.retry_delay_s = 0.01;
  c.progress = "none";
  return c;
}

}  // namespace xcodec::testing
