// `xcodec info FILE...`: one line per file with format, rate, channels, length and levels.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "xcodec/audio/audio.h"
#include "xcodec/core/error.h"

namespace xcodec::cli {
namespace {

std::string db(double v) {
  if (std::isinf(v)) return "-inf";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", v);
  return buf;
}

int run_info(const std::vector<std::string>& files) {
  int failures = 0;
  for (const auto& path : files) {
    try {
      audio::AudioInfo info;
      const audio::AudioLevels levels = audio::measure_levels(path, {}, &info);
      char line[512];
      std::snprintf(line, sizeof(line),
                    "format=%s codec=%s rate=%d channels=%d frames=%lld duration=%.3fs "
                    "peak=%sdBFS rms=%sdBFS",
                    info.format.c_str(), info.codec.c_str(), info.sample_rate, info.channels,
                    static_cast<long long>(levels.frames), levels.duration_s,
                    db(levels.peak_dbfs).c_str(), db(levels.rms_dbfs).c_str());
      std::cout << path << "\t" << line << "\n";
    } catch (const Error& e) {
      std::cout << path << "\terror: " << e.what() << "\n";
      ++failures;
    }
  }
  std::cout.flush();
  if (failures > 0) {
    throw IoError(std::to_string(failures) + " of " + std::to_string(files.size()) +
                  " files could not be read");
  }
  return 0;
}

void add_info_command(CLI::App& root) {
  auto* cmd = root.add_subcommand(
      "info", "Print format, sample rate, channels, length and peak/RMS level of audio files");
  auto files = std::make_shared<std::vector<std::string>>();
  cmd->add_option("files", *files, "Audio files (any format FFmpeg decodes)")->required();
  cmd->callback([files] { run_info(*files); });
}

}  // namespace

XCODEC_REGISTER_COMMAND(20, add_info_command);

}  // namespace xcodec::cli
