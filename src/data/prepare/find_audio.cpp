#include "xcodec/data/prepare/find_audio.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "xcodec/audio/audio_extensions.h"
#include "xcodec/core/error.h"

namespace xcodec::data {

namespace fs = std::filesystem;

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
    fs::directory_iterator it(dir, fs::directory_options::none, ec);
    if (ec) {
      found.unreadable.push_back({dir.lexically_relative(root_path).generic_string() + "/",
                                  "cannot read folder: " + ec.message()});
      continue;
    }
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) {
        found.unreadable.push_back({dir.lexically_relative(root_path).generic_string() + "/",
                                    "error while listing folder: " + ec.message()});
        break;
      }
      const fs::path p = it->path();
      const std::string name = p.filename().string();
      if (!name.empty() && name.front() == '.') {
        ++found.ignored;
        continue;
      }
      const std::string rel = p.lexically_relative(root_path).generic_string();
      const bool is_link = it->is_symlink(ec);
      // status() follows links; symlink_status() does not. A link's own type decides whether
      // we descend: never into a linked folder.
      const fs::file_status st = it->status(ec);
      if (is_link && fs::is_directory(st)) {
        found.dir_symlinks.push_back(rel);
        continue;
      }
      if (fs::is_directory(st)) {
        if (!exclude.empty() && fs::weakly_canonical(p, ec) == exclude) continue;
        stack.push_back(p);
        continue;
      }
      if (!audio::has_audio_extension(name)) {
        ++found.ignored;
        continue;
      }
      if (is_link && !fs::exists(st)) {
        found.unreadable.push_back({rel, "broken symlink"});
        continue;
      }
      struct stat sb {};
      if (::stat(p.c_str(), &sb) != 0) {
        found.unreadable.push_back({rel, std::string("cannot stat: ") + std::strerror(errno)});
        continue;
      }
      if (!S_ISREG(sb.st_mode)) {
        found.unreadable.push_back({rel, "not a regular file"});
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
  std::sort(found.unreadable.begin(), found.unreadable.end(),
            [](const SkippedFile& a, const SkippedFile& b) { return a.path < b.path; });
  std::sort(found.dir_symlinks.begin(), found.dir_symlinks.end());
  return found;
}

}  // namespace xcodec::data
