// The machinery every source shares: a plan of DownloadItems fetched by a pool of workers, each
// file through NAME.part, verified, renamed, recorded and unpacked.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "data/download/digest.h"
#include "data/download/download_progress.h"
#include "data/download/extract.h"
#include "data/download/http_client.h"
#include "data/download/run_download.h"
#include "data/download/state_file.h"
#include "xcodec/core/error.h"
#include "xcodec/core/logging.h"
#include "xcodec/data/download/download.h"
#include "xcodec/io/atomic_file.h"

namespace xcodec::data {

namespace fs = std::filesystem;
using download::Checksum;
using download::DownloadProgress;
using download::FileRecord;
using download::StateFile;

void DownloadConfig::validate() const {
  if (output_dir.empty()) throw ConfigError("output_dir: required");
  if (jobs < 1 || jobs > 64) throw ConfigError("jobs: expected 1..64, got " + std::to_string(jobs));
  if (retries < 0) throw ConfigError("retries: expected >= 0, got " + std::to_string(retries));
  if (!(retry_delay_s >= 0)) throw ConfigError("retry_delay_s: expected >= 0");
  if (!(stall_timeout_s >= 1)) throw ConfigError("stall_timeout_s: expected >= 1");
  if (progress != "auto" && progress != "bar" && progress != "lines" && progress != "none") {
    throw ConfigError("progress: expected auto, bar, lines or none, got '" + progress + "'");
  }
}

std::string DownloadConfig::resolved_data_dir() const {
  if (!data_dir.empty()) return data_dir;
  return fs::absolute(output_dir).lexically_normal().parent_path().string();
}

namespace {

// An exclusive flock on NAME.part, so that two runs never write the same partial file. The
// lock follows the inode: when the holder renames NAME.part to NAME, a waiter that opened the
// old inode sees the path moved on and tries again (then finds NAME finished).
class PartLock {
 public:
  explicit PartLock(const std::string& part) {
    for (;;) {
      fd_ = ::open(part.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      if (fd_ < 0) throw IoError("cannot write '" + part + "': " + std::strerror(errno));
      if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        waited_ = true;
        XCODEC_LOG_INFO("[download] another run is writing " << part << "; waiting for it");
        while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
        }
      }
      struct stat held {
      }, now{};
      if (::fstat(fd_, &held) == 0 && ::stat(part.c_str(), &now) == 0 &&
          held.st_ino == now.st_ino && held.st_dev == now.st_dev) {
        return;
      }
      ::close(fd_);
    }
  }
  ~PartLock() { ::close(fd_); }
  PartLock(const PartLock&) = delete;
  PartLock& operator=(const PartLock&) = delete;
  bool waited() const { return waited_; }

 private:
  int fd_ = -1;
  bool waited_ = false;
};

std::string marker_path(const fs::path& final_path) {
  return (final_path.parent_path() / ("." + final_path.filename().string() + ".extracted"))
      .string();
}

int64_t file_size_or(const fs::path& p, int64_t fallback) {
  std::error_code ec;
  const auto n = fs::file_size(p, ec);
  return ec ? fallback : static_cast<int64_t>(n);
}

class Runner {
 public:
  Runner(const std::vector<DownloadItem>& items, const DownloadConfig& config,
         const std::string& source)
      : items_(items),
        config_(config),
        source_(source),
        output_(fs::absolute(config.output_dir).lexically_normal()),
        data_dir_(fs::absolute(config.resolved_data_dir()).lexically_normal()),
        state_((data_dir_ / "data_dl.json").string()) {
    http_.retries = config.retries;
    http_.retry_delay_s = config.retry_delay_s;
    http_.stall_timeout_s = config.stall_timeout_s;
  }
  void add_header(const std::string& h) { http_.headers.push_back(h); }

  DownloadResult run() {
    const auto t0 = std::chrono::steady_clock::now();
    fs::create_directories(output_);
    records_ = state_.load();
    DownloadResult r;
    r.output_dir = output_.string();
    r.state_path = state_.path();
    r.files = static_cast<int64_t>(items_.size());
    {
      DownloadProgress progress(config_.progress, r.files, config_.progress_interval_s);
      progress_ = &progress;
      std::atomic<size_t> next{0};
      auto work = [&] {
        for (size_t i; (i = next.fetch_add(1)) < items_.size();) process(items_[i]);
      };
      std::vector<std::thread> pool;
      const int n = std::min<int>(config_.jobs, static_cast<int>(items_.size()));
      for (int i = 1; i < n; ++i) pool.emplace_back(work);
      work();
      for (auto& t : pool) t.join();
      progress.stop();
      progress_ = nullptr;
    }
    r.downloaded = downloaded_;
    r.already_done = already_done_;
    r.extracted = extracted_;
    r.bytes = bytes_;
    r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!failures_.empty()) {
      std::string msg = failures_.front();
      if (failures_.size() > 1 || items_.size() > 1) {
        msg += " (" + std::to_string(failures_.size()) + " of " + std::to_string(items_.size()) +
               " files failed; finished files are kept, state in " + state_.path() + ")";
      }
      throw IoError(msg);
    }
    return r;
  }

 private:
  std::string key_of(const fs::path& final_path) const {
    return final_path.lexically_relative(data_dir_).generic_string();
  }

  void record(const fs::path& final_path, FileRecord rec) {
    rec.source = source_;
    state_.update(key_of(final_path), rec);
  }

  void fail(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu_);
    // The first failure is the message run() throws, so it is not logged twice.
    if (!failures_.empty()) XCODEC_LOG_ERROR("[download] " << what);
    failures_.push_back(what);
  }

  void process(const DownloadItem& item) {
    const fs::path final_path = output_ / item.relative_path;
    try {
      FileRecord rec = fetch(item, final_path);
      if (item.unpack != DownloadItem::Unpack::kNone && config_.extract) {
        unpack(item, final_path, rec);
      }
    } catch (const std::exception& e) {
      fail(e.what());
      try {
        FileRecord rec;
        rec.url = item.url;
        rec.status = "failed";
        rec.error = e.what();
        const auto it = records_.find(key_of(final_path));
        if (it != records_.end() && it->second.status == "done" && fs::exists(final_path)) {
          rec = it->second;  // downloaded earlier; only its unpacking failed
          rec.error = e.what();
        }
        record(final_path, rec);
      } catch (const std::exception& e2) {
        XCODEC_LOG_ERROR("[download] cannot record the failure: " << e2.what());
      }
    }
  }

  // True when an earlier run recorded `final_path` as verified and it is still there unchanged
  // (same size; the content is not hashed again, so a re-run stays fast).
  bool recorded_done(const DownloadItem& item, const fs::path& final_path,
                     const std::map<std::string, FileRecord>& records, FileRecord* out) const {
    const auto it = records.find(key_of(final_path));
    if (it == records.end() || it->second.status != "done" || it->second.url != item.url) {
      return false;
    }
    if (file_size_or(final_path, -2) != it->second.size) return false;
    *out = it->second;
    return true;
  }

  FileRecord fetch(const DownloadItem& item, const fs::path& final_path) {
    FileRecord rec;
    if (recorded_done(item, final_path, records_, &rec)) {
      ++already_done_;
      return rec;
    }
    const Checksum want = config_.skip_checksum ? Checksum{} : Checksum::parse(item.checksum);
    // A final file with no record (state deleted, or placed by hand): verify and adopt it.
    if (fs::exists(final_path)) {
      const int64_t size = file_size_or(final_path, -1);
      const std::string got = want.empty() ? "" : download::file_digest(final_path, want.algorithm);
      if (got == want.hex && (item.size < 0 || item.size == size)) {
        XCODEC_LOG_INFO("[download] " << item.relative_path << " already present"
                                      << (want.empty() ? "" : ", checksum ok") << "; kept");
        rec = {item.url, size, want.empty() ? "" : want.to_string(), "done", false};
        record(final_path, rec);
        ++already_done_;
        return rec;
      }
      XCODEC_LOG_WARN("[download] " << final_path.string()
                                    << " exists but does not match; downloading it again");
    }
    fs::create_directories(final_path.parent_path());
    const std::string part = final_path.string() + ".part";
    PartLock lock(part);
    if (lock.waited() && recorded_done(item, final_path, state_.load(), &rec)) {
      std::remove(part.c_str());  // the empty one our lock attempt created
      ++already_done_;
      return rec;  // the other run finished it
    }
    // Without a published checksum the file's MD5 is still recorded.
    const std::string algorithm = want.empty() ? "md5" : want.algorithm;
    for (int attempt = 0;; ++attempt) {
      const int slot = progress_->start(item.relative_path);
      download::FetchResult got;
      try {
        got = download::fetch_to_file(
            item.url, part, algorithm, http_,
            [&](int64_t done, int64_t total) { progress_->update(slot, done, total); }, nullptr);
      } catch (...) {
        progress_->finish(slot, false);
        throw;
      }
      bytes_ += got.size - got.resumed_at;
      std::string problem;
      if (!want.empty() && got.digest != want.hex) {
        problem = "checksum mismatch for " + item.url + ": expected " + want.algorithm + " " +
                  want.hex + ", got " + got.digest;
      } else if (item.size >= 0 && got.size != item.size) {
        problem = "size mismatch for " + item.url + ": expected " + std::to_string(item.size) +
                  " bytes, got " + std::to_string(got.size);
      }
      if (problem.empty()) {
        io::commit_file(part, final_path.string());
        progress_->finish(slot, true);
        rec = {item.url, got.size, algorithm + ":" + got.digest, "done", false};
        record(final_path, rec);
        ++downloaded_;
        return rec;
      }
      progress_->finish(slot, false);
      // The bytes are wrong somewhere, so resuming would keep them: start the file over.
      std::remove(part.c_str());
      if (attempt >= config_.retries) {
        throw IoError(problem + " (after " + std::to_string(attempt + 1) +
                      " downloads; the partial file was deleted)");
      }
      XCODEC_LOG_WARN("[download] " << problem << "; downloading it again");
    }
  }

  void unpack(const DownloadItem& item, const fs::path& final_path, FileRecord rec) {
    const std::string marker = marker_path(final_path);
    if (fs::exists(marker)) {
      if (!rec.extracted) {
        rec.extracted = true;
        record(final_path, rec);
      }
      return;
    }
    const fs::path dest = output_ / item.unpack_dir;
    XCODEC_LOG_INFO("[download] unpacking " << item.relative_path << " into " << dest.string());
    const download::ExtractResult x =
        item.unpack == DownloadItem::Unpack::kArchive
            ? download::extract_archive(final_path.string(), dest.string())
            : download::extract_webdataset_audio(final_path.string(), dest.string());
    io::write_file_atomic(marker, std::to_string(x.files) + " files, " + std::to_string(x.bytes) +
                                      " bytes into " + dest.string() + "\n");
    rec.extracted = true;
    record(final_path, rec);
    ++extracted_;
  }

  const std::vector<DownloadItem>& items_;
  const DownloadConfig& config_;
  std::string source_;
  fs::path output_;
  fs::path data_dir_;
  StateFile state_;
  download::HttpOptions http_;
  std::map<std::string, FileRecord> records_;  // as loaded at the start (read-only)
  DownloadProgress* progress_ = nullptr;
  std::mutex mu_;
  std::vector<std::string> failures_;
  std::atomic<int64_t> downloaded_{0}, already_done_{0}, extracted_{0}, bytes_{0};
};

}  // namespace

namespace detail {

DownloadResult run_download(const std::vector<DownloadItem>& items, const DownloadConfig& config,
                            const std::string& source, const std::vector<std::string>& headers) {
  config.validate();
  for (const auto& item : items) {
    download::checked_member_path(item.url, item.relative_path);  // no absolute path, no ".."
    if (item.relative_path.empty()) throw ConfigError("no file name for " + item.url);
  }
  Runner runner(items, config, source);
  for (const auto& h : headers) runner.add_header(h);
  return runner.run();
}

}  // namespace detail

DownloadResult download_items(const std::vector<DownloadItem>& items, const DownloadConfig& config,
                              const std::string& source) {
  return detail::run_download(items, config, source, {});
}

}  // namespace xcodec::data
