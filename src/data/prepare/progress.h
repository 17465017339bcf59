#pragma once
// Private: progress display of `prepare` — a redrawn bar on a terminal, periodic plain lines
// otherwise. Thread-safe: workers call add(); a display thread redraws.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace xcodec::data::detail {

class Progress {
 public:
  enum class Mode { kNone, kBar, kLines };
  /// `mode_name`: "auto", "bar", "lines" or "none"; auto picks bar when stderr is a terminal.
  Progress(const std::string& mode_name, const std::string& label, int64_t total_files,
           double line_interval_s);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// One file finished; `audio_seconds` of audio came out of it (0 for skipped files).
  void add(double audio_seconds);
  /// Stops the display thread and prints the final state.
  void finish();

  /// "1h02m", "3m04s", "12s".
  static std::string format_duration(double seconds);

 private:
  void loop();
  void draw(bool final_line);

  Mode mode_ = Mode::kNone;
  std::string label_;
  int64_t total_ = 0;
  double interval_s_ = 10.0;
  std::atomic<int64_t> done_{0};
  std::atomic<int64_t> audio_ms_{0};
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace xcodec::data::detail
