#include "data/prepare/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "xcodec/core/error.h"
#include "xcodec/core/logging.h"

namespace xcodec::data::detail {

Progress::Progress(const std::string& mode_name, const std::string& label, int64_t total_files,
                   double line_interval_s)
    : label_(label), total_(total_files), interval_s_(line_interval_s) {
  if (mode_name == "auto") {
    mode_ = ::isatty(STDERR_FILENO) ? Mode::kBar : Mode::kLines;
  } else if (mode_name == "bar") {
    mode_ = Mode::kBar;
  } else if (mode_name == "lines") {
    mode_ = Mode::kLines;
  } else if (mode_name == "none") {
    mode_ = Mode::kNone;
  } else {
    throw ConfigError("progress: expected auto, bar, lines or none, got '" + mode_name + "'");
  }
  if (log_level() > LogLevel::kInfo) mode_ = Mode::kNone;
  start_ = std::chrono::steady_clock::now();
  if (mode_ != Mode::kNone && total_ > 0) thread_ = std::thread([this] { loop(); });
}

Progress::~Progress() { finish(); }

void Progress::add(double audio_seconds) {
  done_.fetch_add(1, std::memory_order_relaxed);
  audio_ms_.fetch_add(static_cast<int64_t>(std::llround(audio_seconds * 1000.0)),
                      std::memory_order_relaxed);
}

void Progress::finish() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    draw(/*final_line=*/true);
  }
}

std::string Progress::format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<int64_t>(std::llround(seconds));
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof(buf), "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>((s % 3600) / 60));
  } else if (s >= 60) {
    std::snprintf(buf, sizeof(buf), "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof(buf), "%llds", static_cast<long long>(s));
  }
  return buf;
}

void Progress::loop() {
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

void Progress::draw(bool final_line) {
  const int64_t done = done_.load(std::memory_order_relaxed);
  const double hours = static_cast<double>(audio_ms_.load(std::memory_order_relaxed)) / 3.6e6;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double minutes = std::max(elapsed, 1e-3) / 60.0;
  const double rate_h_per_min = hours / minutes;
  const double files_per_s = static_cast<double>(done) / std::max(elapsed, 1e-3);
  const double eta = done > 0 ? static_cast<double>(total_ - done) / files_per_s : -1.0;
  char stats[160];
  std::snprintf(stats, sizeof(stats), "%lld/%lld files  %.2f h audio  %.2f h/min  ETA %s",
                static_cast<long long>(done), static_cast<long long>(total_), hours, rate_h_per_min,
                final_line ? "0s" : format_duration(eta).c_str());
  if (mode_ == Mode::kBar) {
    constexpr int kWidth = 30;
    const int filled =
        total_ > 0 ? static_cast<int>(kWidth * static_cast<double>(done) / total_) : kWidth;
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r%s [%s] %s\033[K%s", label_.c_str(), bar.c_str(), stats,
                 final_line ? "\n" : "");
    std::fflush(stderr);
  } else if (mode_ == Mode::kLines && !final_line) {
    XCODEC_LOG_INFO("[data] " << label_ << ": " << stats);
  }
}

}  // namespace xcodec::data::detail
