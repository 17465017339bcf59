#include "xcodec/core/signals.h"

#include <atomic>
#include <csignal>

namespace xcodec {
namespace {
std::atomic<int> g_signal{0};
std::atomic<bool> g_stop{false};

void on_stop_signal(int sig) {
  if (g_stop.exchange(true)) {
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    return;
  }
  g_signal.store(sig);
}
}  // namespace

void install_stop_handlers() {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
}
bool stop_requested() { return g_stop.load(); }
int stop_signal() { return g_signal.load(); }
void request_stop() { g_stop.store(true); }
void reset_stop() {
  g_stop.store(false);
  g_signal.store(0);
}

}  // namespace xcodec
