#include "data/download/state_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "xcodec/core/error.h"
#include "xcodec/io/atomic_file.h"

namespace xcodec::data::download {
namespace {

using nlohmann::json;
constexpr int kFormatVersion = 1;

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// An exclusive flock on `path` for the lifetime of the object (the lock file is never renamed
// or deleted, so every run locks the same inode).
class FileLock {
 public:
  explicit FileLock(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw IoError("cannot open lock file '" + path + "': " + std::strerror(errno));
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) {
        ::close(fd_);
        throw IoError("cannot lock '" + path + "': " + std::strerror(errno));
      }
    }
  }
  ~FileLock() { ::close(fd_); }  // closing releases the lock
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

std::map<std::string, FileRecord> parse(const std::string& path, const std::string& text) {
  std::map<std::string, FileRecord> out;
  try {
    const json j = json::parse(text);
    if (!j.is_object() || !j.contains("files") || !j["files"].is_object()) {
      throw IoError("'" + path + "' is not a download state file (no \"files\" object)");
    }
    for (const auto& [key, v] : j["files"].items()) {
      FileRecord r;
      r.url = v.value("url", "");
      r.size = v.value("size", int64_t{-1});
      r.checksum = v.value("checksum", "");
      r.status = v.value("status", "");
      r.extracted = v.value("extracted", false);
      r.source = v.value("source", "");
      r.error = v.value("error", "");
      r.updated = v.value("updated", "");
      out[key] = r;
    }
  } catch (const json::exception& e) {
    throw IoError("cannot read download state '" + path + "': " + e.what());
  }
  return out;
}

}  // namespace

std::map<std::string, FileRecord> StateFile::load() const {
  if (!std::filesystem::exists(path_)) return {};
  return parse(path_, io::read_file(path_));
}

void StateFile::update(const std::string& key, FileRecord record) const {
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
  FileLock lock(path_ + ".lock");
  std::map<std::string, FileRecord> all = load();
  record.updated = utc_now();
  all[key] = record;
  json files = json::object();
  for (const auto& [k, r] : all) {
    json e = {{"url", r.url},        {"size", r.size},           {"checksum", r.checksum},
              {"status", r.status},  {"extracted", r.extracted}, {"source", r.source},
              {"updated", r.updated}};
    if (!r.error.empty()) e["error"] = r.error;
    files[k] = e;
  }
  const json j = {{"format_version", kFormatVersion}, {"files", files}};
  io::write_file_atomic(path_, j.dump(2) + "\n");
}

}  // namespace xcodec::data::download
