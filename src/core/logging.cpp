#include "xcodec/core/logging.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "xcodec/core/error.h"

namespace xcodec {
namespace {

LogLevel initial_level() {
  const char* env = std::getenv("XCODEC_LOG_LEVEL");
  if (env == nullptr || *env == '\0') return LogLevel::kInfo;
  try {
    return parse_log_level(env);
  } catch (const Error&) {
    return LogLevel::kInfo;
  }
}

std::atomic<int>& level_storage() {
  static std::atomic<int> level{static_cast<int>(initial_level())};
  return level;
}

}  // namespace

LogLevel parse_log_level(const std::string& name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn" || name == "warning") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  if (name == "off" || name == "none") return LogLevel::kOff;
  throw ConfigError("unknown log level '" + name + "' (expected debug|info|warn|error|off)");
}

void set_log_level(LogLevel level) { level_storage().store(static_cast<int>(level)); }

LogLevel log_level() { return static_cast<LogLevel>(level_storage().load()); }

void log_message(LogLevel level, const std::string& message) {
  static std::mutex mutex;
  const char* prefix = level == LogLevel::kWarn    ? "warning: "
                       : level == LogLevel::kError ? "error: "
                                                   : "";
  std::lock_guard<std::mutex> lock(mutex);
  std::fprintf(stderr, "%s%s\n", prefix, message.c_str());
  std::fflush(stderr);
}

}  // namespace xcodec
