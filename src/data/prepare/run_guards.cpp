#include "data/prepare/run_guards.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "xcodec/core/error.h"

namespace xcodec::data::detail {

namespace {

std::atomic<bool> g_stop_requested{false};

extern "C" void on_stop_signal(int) { g_stop_requested.store(true); }

}  // namespace

bool stop_requested() { return g_stop_requested.load(); }

SignalGuard::SignalGuard(bool enabled) : enabled_(enabled) {
  g_stop_requested.store(false);
  if (!enabled_) return;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &sa, &old_int_);
  sigaction(SIGTERM, &sa, &old_term_);
}

SignalGuard::~SignalGuard() {
  if (!enabled_) return;
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
}

DatasetLock::DatasetLock(const std::string& path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw IoError("cannot open lock file '" + path + "': " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    throw IoError("another `xcodec prepare` is writing this dataset (lock '" + path + "' held)");
  }
}

DatasetLock::~DatasetLock() {
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
}

}  // namespace xcodec::data::detail
