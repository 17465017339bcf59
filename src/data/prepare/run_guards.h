#pragma once
// Private: what keeps one `prepare` run safe — a clean stop on SIGINT/SIGTERM and a lock that
// keeps two runs from writing the same dataset.
#include <csignal>
#include <string>

namespace xcodec::data::detail {

/// True once SIGINT/SIGTERM arrived while a SignalGuard with `enabled` was alive.
bool stop_requested();

/// Installs SIGINT/SIGTERM handlers for its lifetime that only set stop_requested() (a second
/// signal kills the process as usual: SA_RESETHAND), then restores the previous ones.
class SignalGuard {
 public:
  explicit SignalGuard(bool enabled);
  ~SignalGuard();
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

 private:
  bool enabled_;
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

/// Exclusive, non-blocking flock on processed/NAME/.prepare.lock for its lifetime: two runs
/// writing the same dataset at once would race on its files. Throws IoError when it is held.
class DatasetLock {
 public:
  explicit DatasetLock(const std::string& path);
  ~DatasetLock();
  DatasetLock(const DatasetLock&) = delete;
  DatasetLock& operator=(const DatasetLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace xcodec::data::detail
