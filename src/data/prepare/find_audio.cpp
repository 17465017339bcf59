#include "xcodec/data/prepare/find_audio.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "xcodec/core/error.h"

namespace xcodec::data {

namespace fs = std::filesystem;

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

const char* file_type_name(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

void sort_by_path(std::vector<SkippedFile>* v) {
  std::sort(v->begin(), v->end(),
            [](const SkippedFile& a, const SkippedFile& b) { return a.path < b.path; });
}

}  // namespace

std::string junk_reason(const std::string& name, bool is_dir) {
  if (is_dir) {
    if (name == "__MACOSX") return "macOS archive metadata folder (not searched)";
    if (!name.empty() && name.front() == '.') return "hidden folder (not searched)";
    return "";
  }
  if (name.rfind("._", 0) == 0) return "AppleDouble metadata file (macOS resource fork)";
  const std::string l = lower(name);
  if (l == ".ds_store") return "macOS folder metadata (.DS_Store)";
  if (l == "thumbs.db" || l == "desktop.ini") return "Windows folder metadata (" + name + ")";
  return "";
}

FoundFiles find_audio_files(const std::string& root, const std::string& exclude_dir) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    throw IoError("input folder '" + root + "' does not exist or is not a folder");
  }
  FoundFiles found;
  const fs::path root_path(root);
  const fs::path exclude = exclude_dir.empty() ? fs::path() : fs::weakly_canonical(exclude_dir, ec);
  std::vector<fs::path> stack{root_path};
  while (!stack.empty()) {
    const fs::path dir = stack.back();
    stack.pop_back();
    const std::string dir_rel =
        dir == root_path ? "" : dir.lexically_relative(root_path).generic_string() + "/";
    fs::directory_iterator it(dir, fs::directory_options::none, ec);
    if (ec) {
      found.unreadable.push_back({dir_rel, "cannot read folder: " + ec.message()});
      continue;
    }
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) {
        found.unreadable.push_back({dir_rel, "error while listing folder: " + ec.message()});
        break;
      }
      const fs::path p = it->path();
      const std::string name = p.filename().string();
      const std::string rel = dir_rel + name;
      // symlink_status() describes the entry itself; ::stat() follows a link to its target.
      const bool is_link = fs::is_symlink(it->symlink_status(ec));
      struct stat sb {};
      if (::stat(p.c_str(), &sb) != 0) {
        const int err = errno;
        if (is_link && err == ELOOP) {
          found.ignored.push_back({rel, "symlink loop"});
        } else if (is_link && err == ENOENT) {
          found.ignored.push_back({rel, "broken symlink"});
        } else {
          found.unreadable.push_back({rel, std::string("cannot stat: ") + std::strerror(err)});
        }
        continue;
      }
      if (S_ISDIR(sb.st_mode)) {
        if (is_link) {
          // Never into a linked folder, so a link loop cannot trap the walk.
          found.dir_symlinks.push_back(rel);
          found.ignored.push_back({rel + "/", "symlink to a folder (not followed)"});
          continue;
        }
        const std::string junk = junk_reason(name, true);
        if (!junk.empty()) {
          found.ignored.push_back({rel + "/", junk});
          continue;
        }
        if (!exclude.empty() && fs::weakly_canonical(p, ec) == exclude) {
          found.ignored.push_back({rel + "/", "the output folder (not searched)"});
          continue;
        }
        stack.push_back(p);
        continue;
      }
      const std::string junk = junk_reason(name, false);
      if (!junk.empty()) {
        found.ignored.push_back({rel, junk});
        continue;
      }
      if (!S_ISREG(sb.st_mode)) {
        found.ignored.push_back({rel, file_type_name(sb.st_mode)});
        continue;
      }
      SourceFile f;
      f.relative_path = rel;
      f.size = static_cast<int64_t>(sb.st_size);
      f.mtime_ns = static_cast<int64_t>(sb.st_mtim.tv_sec) * 1000000000LL + sb.st_mtim.tv_nsec;
      found.files.push_back(std::move(f));
    }
  }
  std::sort(found.files.begin(), found.files.end(), [](const SourceFile& a, const SourceFile& b) {
    return a.relative_path < b.relative_path;
  });
  sort_by_path(&found.unreadable);
  sort_by_path(&found.ignored);
  std::sort(found.dir_symlinks.begin(), found.dir_symlinks.end());
  return found;
}

}  // namespace xcodec::data
