#include "data/prepare/convert_file.h"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <new>
#include <sstream>

#include "xcodec/audio/audio_extensions.h"
#include "xcodec/core/error.h"
#include "xcodec/data/prepare/output_names.h"

namespace xcodec::data::detail {

namespace fs = std::filesystem;

namespace {

// The reader's messages start with "'<path>': "; in lists keyed by path that is redundant.
std::string strip_path_prefix(const std::string& message, const std::string& path) {
  const std::string prefix = "'" + path + "': ";
  if (message.rfind(prefix, 0) == 0) return message.substr(prefix.size());
  return message;
}

std::string fmt_seconds(double s) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(2);
  os << s;
  return os.str();
}

StateRow finished(StateRow row, const char* status, std::string detail) {
  row.status = status;
  row.detail = std::move(detail);
  return row;
}

}  // namespace

size_t max_output_name_bytes(const fs::path& dir) {
  const long name_max = ::pathconf(dir.c_str(), _PC_NAME_MAX);
  size_t limit = kMaxOutputNameBytes;
  if (name_max > 0 && static_cast<size_t>(name_max) < limit + kTempSuffixReserve) {
    limit = std::max<size_t>(32, static_cast<size_t>(name_max) - kTempSuffixReserve);
  }
  return limit;
}

std::string duration_reject_reason(int64_t num_samples, const PrepareConfig& c) {
  const double seconds = static_cast<double>(num_samples) / c.sample_rate;
  if (num_samples == 0) return "no audio samples";
  if (c.min_seconds > 0 && seconds < c.min_seconds) {
    return "too short (" + fmt_seconds(seconds) + " s < --min-seconds " +
           fmt_seconds(c.min_seconds) + ")";
  }
  if (c.max_seconds > 0 && seconds > c.max_seconds) {
    return "too long (" + fmt_seconds(seconds) + " s > --max-seconds " +
           fmt_seconds(c.max_seconds) + ")";
  }
  return "";
}

StateRow convert_file(const fs::path& input, const fs::path& audio_dir, const SourceFile& source,
                      const std::string& output, const PrepareConfig& config,
                      const audio::ReadOptions& read_options, audio::AudioFileFormat out_format,
                      double* seconds) {
  const std::string src = (input / source.relative_path).string();
  StateRow row;
  row.size = source.size;
  row.mtime_ns = source.mtime_ns;
  const fs::path out = audio_dir / output;
  const std::string out_str = out.string();
  if (out_str.size() + kTempSuffixReserve >= PATH_MAX) {
    return finished(row, "bad",
                    "output path too long (" + std::to_string(out_str.size()) + " bytes; limit " +
                        std::to_string(PATH_MAX - kTempSuffixReserve) + ")");
  }
  audio::Audio a;
  try {
    a = audio::read_audio(src, read_options);
  } catch (const audio::NotAudioError& e) {
    // Not audio by content. A name that promises audio makes it a broken file the user wants to
    // hear about (skipped); anything else (a transcript, an image) is simply ignored.
    const std::string name = fs::path(source.relative_path).filename().string();
    return finished(row, audio::has_audio_extension(name) ? "bad" : "ignored",
                    strip_path_prefix(e.what(), src));
  } catch (const Error& e) {
    return finished(row, "bad", strip_path_prefix(e.what(), src));
  } catch (const std::bad_alloc&) {
    return finished(row, "bad", "out of memory while decoding");
  }
  row.num_samples = static_cast<int64_t>(a.samples.size());
  *seconds = a.duration_s();
  if (!duration_reject_reason(row.num_samples, config).empty()) {
    return finished(row, "filtered", "");
  }
  std::error_code ec;
  fs::create_directories(out.parent_path(), ec);
  if (ec == std::errc::not_a_directory || ec == std::errc::file_exists) {
    // A file that is not ours sits where the output's folder must go.
    // (Paths in reasons are relative to audio/: escaped names, so metadata.json keeps them.)
    return finished(row, "bad",
                    "cannot create output folder '" + fs::path(output).parent_path().string() +
                        "': " + ec.message());
  }
  if (ec) {
    throw WriteFailed{std::make_exception_ptr(
        IoError("cannot create '" + out.parent_path().string() + "': " + ec.message()))};
  }
  if (fs::is_directory(fs::symlink_status(out, ec))) {
    return finished(row, "bad", "output path '" + output + "' is an existing folder");
  }
  try {
    audio::write_audio(out_str, a, out_format);
  } catch (...) {
    throw WriteFailed{std::current_exception()};
  }
  return finished(row, "ok", output);
}

}  // namespace xcodec::data::detail
