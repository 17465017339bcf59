#pragma once
/// Minimal logging with its backend hidden. Messages start with a topic tag ("[data] ...").
/// The level defaults from the environment variable XCODEC_LOG_LEVEL (debug|info|warn|error|off).
#include <sstream>
#include <string>

namespace xcodec {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

void set_log_level(LogLevel level);
LogLevel log_level();
/// Parses "debug", "info", "warn", "error", "off"; throws ConfigError otherwise.
LogLevel parse_log_level(const std::string& name);
/// Writes one line to stderr (thread-safe). Prefer the XCODEC_LOG_* macros.
void log_message(LogLevel level, const std::string& message);

}  // namespace xcodec

#define XCODEC_LOG(level, expr)                                               \
  do {                                                                        \
    if (static_cast<int>(level) >= static_cast<int>(::xcodec::log_level())) { \
      std::ostringstream xcodec_log_stream_;                                  \
      xcodec_log_stream_ << expr;                                             \
      ::xcodec::log_message(level, xcodec_log_stream_.str());                 \
    }                                                                         \
  } while (0)
#define XCODEC_LOG_DEBUG(expr) XCODEC_LOG(::xcodec::LogLevel::kDebug, expr)
#define XCODEC_LOG_INFO(expr) XCODEC_LOG(::xcodec::LogLevel::kInfo, expr)
#define XCODEC_LOG_WARN(expr) XCODEC_LOG(::xcodec::LogLevel::kWarn, expr)
#define XCODEC_LOG_ERROR(expr) XCODEC_LOG(::xcodec::LogLevel::kError, expr)
