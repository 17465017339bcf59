#include "data/download/extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <system_error>
#include <vector>

#include "xcodec/audio/audio_extensions.h"
#include "xcodec/core/error.h"
#include "xcodec/core/logging.h"

namespace xcodec::data::download {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> split_components(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    const size_t end = slash == std::string::npos ? path.size() : slash;
    parts.push_back(path.substr(start, end - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

std::string join(const std::vector<std::string>& parts) {
  std::string s;
  for (const auto& p : parts) s += (s.empty() ? "" : "/") + p;
  return s;
}

[[noreturn]] void refuse(const std::string& archive, const std::string& member,
                         const std::string& why) {
  throw IoError("refusing to extract '" + archive + "': member '" + member + "' " + why +
                "; nothing was extracted");
}

// A symbolic link at `member` (already checked) pointing to `target` must resolve inside the
// extraction root, following the link's folder and the target's ".." lexically.
void check_symlink(const std::string& archive, const std::string& member,
                   const std::string& target) {
  if (target.empty() || target[0] == '/') refuse(archive, member, "is a link to '" + target + "'");
  std::vector<std::string> dir = split_components(member);
  dir.pop_back();
  for (const auto& c : split_components(target)) {
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (dir.empty()) refuse(archive, member, "is a link to '" + target + "' outside the target");
      dir.pop_back();
    } else {
      dir.push_back(c);
    }
  }
}

struct ReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct WriteDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};

std::unique_ptr<archive, ReadDeleter> open_archive(const std::string& path) {
  std::unique_ptr<archive, ReadDeleter> a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_all(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 20) != ARCHIVE_OK) {
    throw IoError("cannot open archive '" + path + "': " + archive_error_string(a.get()));
  }
  return a;
}

// A staging folder inside `dest` that is removed unless commit() moved its content out.
class Staging {
 public:
  Staging(const std::string& dest, const std::string& archive) {
    fs::create_directories(dest);
    dest_ = fs::path(dest);
    dir_ = dest_ / (".extracting." + fs::path(archive).filename().string() + "." +
                    std::to_string(::getpid()));
    std::error_code ec;
    fs::remove_all(dir_, ec);
    fs::create_directories(dir_);
  }
  ~Staging() {
    std::error_code ec;
    fs::remove_all(dir_, ec);  // never follows links
  }
  const fs::path& dir() const { return dir_; }
  void commit() { merge_move(dir_, dest_); }

 private:
  // Moves the tree `from` into `to`, merging folders that exist on both sides (several
  // LibriSpeech archives share LibriSpeech/); files replace files of the same name.
  static void merge_move(const fs::path& from, const fs::path& to) {
    for (const auto& e : fs::directory_iterator(from)) {
      const fs::path target = to / e.path().filename();
      const auto st = fs::symlink_status(target);
      if (e.is_directory() && !e.is_symlink() && fs::is_directory(st) && !fs::is_symlink(st)) {
        merge_move(e.path(), target);
        continue;
      }
      if (fs::exists(st) && (fs::is_directory(st) && !fs::is_symlink(st))) fs::remove_all(target);
      fs::rename(e.path(), target);
    }
  }
  fs::path dest_;
  fs::path dir_;
};

}  // namespace

bool is_archive_name(const std::string& name) {
  static const char* kSuffixes[] = {".tar",    ".tar.gz", ".tgz",     ".tar.bz2", ".tbz2",
                                    ".tar.xz", ".txz",    ".tar.zst", ".zip"};
  for (const char* s : kSuffixes) {
    const std::string suffix(s);
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return true;
    }
  }
  return false;
}

std::string checked_member_path(const std::string& archive, const std::string& member) {
  if (!member.empty() && member[0] == '/') refuse(archive, member, "has an absolute path");
  std::vector<std::string> kept;
  for (const auto& c : split_components(member)) {
    if (c == "..") refuse(archive, member, "has a '..' component");
    if (!c.empty() && c != ".") kept.push_back(c);
  }
  if (kept.empty()) return "";
  return join(kept);
}

ExtractResult extract_archive(const std::string& archive_path, const std::string& dest_dir) {
  Staging staging(dest_dir, archive_path);
  const std::string root = staging.dir().string() + "/";
  auto in = open_archive(archive_path);
  std::unique_ptr<archive, WriteDeleter> out(archive_write_disk_new());
  // Owners and permission bits of the archive are not restored (no setuid surprises); writing
  // through a symbolic link or a ".." is refused by libarchive as a second line of defence.
  archive_write_disk_set_options(out.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                ARCHIVE_EXTRACT_SECURE_NODOTDOT);
  ExtractResult r;
  archive_entry* entry = nullptr;
  for (;;) {
    const int rc = archive_read_next_header(in.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      throw IoError("cannot read archive '" + archive_path +
                    "': " + archive_error_string(in.get()));
    }
    const char* raw = archive_entry_pathname(entry);
    const std::string member = raw ? raw : "";
    const std::string rel = checked_member_path(archive_path, member);
    if (rel.empty()) continue;  // "./" itself
    const mode_t type = archive_entry_filetype(entry);
    const char* hardlink = archive_entry_hardlink(entry);
    if (hardlink) {
      const std::string link = hardlink;
      bool inside = !link.empty() && link[0] != '/';
      for (const auto& c : split_components(link)) inside = inside && c != "..";
      if (!inside)
        refuse(archive_path, member, "is a hard link to '" + link + "' outside the target");
      const std::string target = checked_member_path(archive_path, link);
      if (target.empty()) refuse(archive_path, member, "is a hard link to the target folder");
      archive_entry_set_hardlink(entry, (root + target).c_str());
    } else if (type == AE_IFLNK) {
      const char* t = archive_entry_symlink(entry);
      check_symlink(archive_path, rel, t ? t : "");
    } else if (type != AE_IFREG && type != AE_IFDIR) {
      XCODEC_LOG_WARN("[download] " << archive_path << ": skipping member '" << member
                                    << "' (not a file, folder or link)");
      ++r.skipped;
      continue;
    }
    archive_entry_set_pathname(entry, (root + rel).c_str());
    if (archive_write_header(out.get(), entry) < ARCHIVE_WARN) {
      throw IoError("cannot extract '" + member + "' from '" + archive_path +
                    "': " + archive_error_string(out.get()));
    }
    if (type == AE_IFREG && !hardlink) {
      const void* buf;
      size_t size;
      la_int64_t offset;
      int d;
      while ((d = archive_read_data_block(in.get(), &buf, &size, &offset)) == ARCHIVE_OK) {
        if (archive_write_data_block(out.get(), buf, size, offset) < ARCHIVE_WARN) {
          throw IoError("cannot write '" + member + "' from '" + archive_path +
                        "': " + archive_error_string(out.get()));
        }
        r.bytes += static_cast<int64_t>(size);
      }
      if (d != ARCHIVE_EOF) {
        throw IoError("cannot read '" + member + "' in '" + archive_path +
                      "': " + archive_error_string(in.get()));
      }
    }
    if (archive_write_finish_entry(out.get()) < ARCHIVE_WARN) {
      throw IoError("cannot finish '" + member + "' from '" + archive_path +
                    "': " + archive_error_string(out.get()));
    }
    if (type != AE_IFDIR) ++r.files;
  }
  if (archive_write_close(out.get()) != ARCHIVE_OK) {
    throw IoError("cannot extract '" + archive_path + "': " + archive_error_string(out.get()));
  }
  staging.commit();
  return r;
}

ExtractResult extract_webdataset_audio(const std::string& shard, const std::string& dest_dir) {
  Staging staging(dest_dir, shard);
  auto in = open_archive(shard);
  ExtractResult r;
  archive_entry* entry = nullptr;
  std::vector<char> buf(1 << 16);
  for (;;) {
    const int rc = archive_read_next_header(in.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      throw IoError("cannot read shard '" + shard + "': " + archive_error_string(in.get()));
    }
    const char* raw = archive_entry_pathname(entry);
    const std::string member = raw ? raw : "";
    const std::string rel = checked_member_path(shard, member);
    if (archive_entry_filetype(entry) != AE_IFREG || archive_entry_hardlink(entry) || rel.empty() ||
        !audio::has_audio_extension(rel)) {
      ++r.skipped;
      continue;
    }
    // WebDataset: the sample key ends at the first '.' of the file name; the clip's id names
    // the output, the last extension keeps the format visible.
    const size_t slash = rel.rfind('/');
    const size_t base = slash == std::string::npos ? 0 : slash + 1;
    const size_t dot = rel.find('.', base);
    const std::string key = rel.substr(0, dot);
    if (key.size() == base) {
      ++r.skipped;  // a hidden file such as ".flac"
      continue;
    }
    const std::string ext = rel.substr(rel.rfind('.'));
    const fs::path out = staging.dir() / (key + ext);
    fs::create_directories(out.parent_path());
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(out.c_str(), "wb"), &std::fclose);
    if (!f) throw IoError("cannot write '" + out.string() + "'");
    la_ssize_t n;
    while ((n = archive_read_data(in.get(), buf.data(), buf.size())) > 0) {
      if (std::fwrite(buf.data(), 1, static_cast<size_t>(n), f.get()) != static_cast<size_t>(n)) {
        throw IoError("cannot write '" + out.string() + "' (from '" + shard + "')");
      }
      r.bytes += n;
    }
    if (n < 0) {
      throw IoError("cannot read '" + member + "' in '" + shard +
                    "': " + archive_error_string(in.get()));
    }
    if (std::fclose(f.release()) != 0) throw IoError("cannot write '" + out.string() + "'");
    ++r.files;
  }
  staging.commit();
  return r;
}

}  // namespace xcodec::data::download
