#include "data/download/download_progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "xcodec/core/error.h"
#include "xcodec/core/logging.h"

namespace xcodec::data::download {

DownloadProgress::DownloadProgress(const std::string& mode_name, int64_t files,
                                   double line_interval_s)
    : files_(files), interval_s_(line_interval_s) {
  if (mode_name == "auto") {
    mode_ = ::isatty(STDERR_FILENO) ? Mode::kBar : Mode::kLines;
  } else if (mode_name == "bar") {
    mode_ = Mode::kBar;
  } else if (mode_name == "lines") {
    mode_ = Mode::kLines;
  } else if (mode_name != "none") {
    throw ConfigError("progress: expected auto, bar, lines or none, got '" + mode_name + "'");
  }
  if (log_level() > LogLevel::kInfo) mode_ = Mode::kNone;
  start_ = std::chrono::steady_clock::now();
  if (mode_ != Mode::kNone) thread_ = std::thread([this] { loop(); });
}

DownloadProgress::~DownloadProgress() { stop(); }

int DownloadProgress::start(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  active_[next_slot_].name = name;
  return next_slot_++;
}

void DownloadProgress::update(int slot, int64_t done, int64_t total) {
  std::lock_guard<std::mutex> lock(mu_);
  Active& a = active_[slot];
  if (a.first < 0) a.first = done;
  a.done = done;
  a.total = total;
}

void DownloadProgress::finish(int slot, bool ok) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = active_.find(slot);
  if (it == active_.end()) return;
  if (it->second.first >= 0) bytes_finished_ += it->second.done - it->second.first;
  active_.erase(it);
  if (ok) ++finished_;
}

void DownloadProgress::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    // On a terminal the total stays on screen; plain lines end with the caller's summary.
    if (mode_ == Mode::kBar) draw(/*final_draw=*/true);
  }
}

std::string DownloadProgress::format_bytes(double bytes) {
  static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1000.0 && u < 4) {
    bytes /= 1000.0;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.1f %s", bytes, kUnits[u]);
  return buf;
}

std::string DownloadProgress::format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<long long>(std::llround(seconds));
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof(buf), "%lldh%02lldm", s / 3600, (s % 3600) / 60);
  } else if (s >= 60) {
    std::snprintf(buf, sizeof(buf), "%lldm%02llds", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%llds", s);
  }
  return buf;
}

// Caller holds mu_.
std::string DownloadProgress::total_line(double now_s) {
  int64_t bytes = bytes_finished_;
  int64_t left = 0;
  bool left_known = true;
  for (const auto& [slot, a] : active_) {
    if (a.first >= 0) bytes += a.done - a.first;
    if (a.total >= 0) {
      left += a.total - a.done;
    } else {
      left_known = false;
    }
  }
  const double rate = now_s > 0 ? static_cast<double>(bytes) / now_s : 0.0;
  // The ETA covers the active files only (sizes of queued files are often unknown).
  const double eta = left_known && rate > 0 ? static_cast<double>(left) / rate : -1.0;
  std::ostringstream s;
  s << "[download] " << finished_ << "/" << files_ << " files, " << format_bytes(bytes) << " at "
    << format_bytes(rate) << "/s";
  if (!active_.empty()) s << ", ETA " << format_duration(eta);
  return s.str();
}

void DownloadProgress::loop() {
  const auto tick =
      mode_ == Mode::kBar
          ? std::chrono::milliseconds(250)
          : std::chrono::milliseconds(static_cast<int64_t>(std::max(0.05, interval_s_) * 1000));
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (cv_.wait_for(lock, tick, [this] { return stop_; })) break;
    lock.unlock();
    draw(false);
    lock.lock();
  }
}

void DownloadProgress::draw(bool final_draw) {
  std::lock_guard<std::mutex> lock(mu_);
  const double now_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  auto file_line = [](const Active& a) {
    std::ostringstream s;
    s << "  " << a.name << "  " << format_bytes(static_cast<double>(a.done));
    if (a.total > 0) {
      s << " / " << format_bytes(static_cast<double>(a.total)) << " (" << 100 * a.done / a.total
        << " %)";
    }
    return s.str();
  };
  if (mode_ == Mode::kLines) {
    std::ostringstream s;
    s << total_line(now_s);
    for (const auto& [slot, a] : active_) s << ";" << file_line(a);
    XCODEC_LOG_INFO(s.str());
    return;
  }
  // Terminal: move up over the previous drawing, clear each line and draw again.
  std::string out;
  for (int i = 0; i < lines_drawn_; ++i) out += "\x1b[1A\x1b[2K";
  int lines = 0;
  if (!final_draw) {
    for (const auto& [slot, a] : active_) {
      out += file_line(a) + "\n";
      ++lines;
    }
  }
  out += total_line(now_s) + "\n";
  lines_drawn_ = final_draw ? 0 : lines + 1;
  std::fputs(out.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace xcodec::data::download
