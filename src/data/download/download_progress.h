#pragma once
// Private: progress of `xcodec download`. On a terminal one line per active file plus a total
// line (bytes, rate, ETA), redrawn in place; otherwise a plain log line every interval.
// Thread-safe: workers call start/update/finish, a display thread draws.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace xcodec::data::download {

class DownloadProgress {
 public:
  /// `mode_name`: "auto", "bar", "lines" or "none"; `files`: files in the plan.
  DownloadProgress(const std::string& mode_name, int64_t files, double line_interval_s);
  ~DownloadProgress();
  DownloadProgress(const DownloadProgress&) = delete;
  DownloadProgress& operator=(const DownloadProgress&) = delete;

  /// A file transfer begins; returns its slot.
  int start(const std::string& name);
  /// Bytes of the file present (`done`) and its size (`total`, -1 unknown); `fresh` bytes of
  /// `done` were transferred in this run.
  void update(int slot, int64_t done, int64_t total);
  /// The transfer ended (successfully or not).
  void finish(int slot, bool ok);
  /// Stops the display; the last total line stays on screen.
  void stop();

  /// "1.5 MB", "340 B".
  static std::string format_bytes(double bytes);
  /// "1h02m", "3m04s", "12s", "?" (negative or infinite).
  static std::string format_duration(double seconds);

 private:
  struct Active {
    std::string name;
    int64_t done = 0;
    int64_t first = -1;  // bytes present when the transfer started (resumed part)
    int64_t total = -1;
  };
  void loop();
  void draw(bool final_draw);
  std::string total_line(double now_s);

  enum class Mode { kNone, kBar, kLines } mode_ = Mode::kNone;
  int64_t files_ = 0;
  int64_t finished_ = 0;
  int64_t bytes_finished_ = 0;  // bytes transferred by finished files in this run
  double interval_s_ = 10.0;
  int next_slot_ = 0;
  int lines_drawn_ = 0;
  std::map<int, Active> active_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace xcodec::data::download
