// read_audio / probe_audio / measure_levels on top of the FFmpeg decoder.
#include <cmath>
#include <limits>
#include <string>

#include "audio/ffmpeg_decoder.h"
#include "xcodec/audio/audio.h"
#include "xcodec/audio/resample.h"
#include "xcodec/core/error.h"

namespace xcodec::audio {
namespace {

[[noreturn]] void non_finite(const std::string& path, int64_t frame) {
  throw IoError("'" + path + "': NaN/Inf sample at frame " + std::to_string(frame));
}

}  // namespace

AudioInfo probe_audio(const std::string& path, const ReadOptions& options) {
  return detail::decode_file(path, options, nullptr);
}

Audio read_audio(const std::string& path, int target_rate) {
  ReadOptions options;
  options.target_rate = target_rate;
  return read_audio(path, options);
}

Audio read_audio(const std::string& path, const ReadOptions& options) {
  if (options.target_rate < 0) {
    throw ConfigError("read_audio: target_rate must be >= 0, got " +
                      std::to_string(options.target_rate));
  }
  Audio audio;
  int64_t position = 0;
  // Down-mix while decoding, so memory holds one mono signal rather than all channels.
  const detail::FrameSink sink = [&](const float* x, int frames, int channels, int rate) {
    audio.sample_rate = rate;
    const size_t start = audio.samples.size();
    audio.samples.resize(start + static_cast<size_t>(frames));
    float* out = audio.samples.data() + start;
    const float scale = 1.0f / static_cast<float>(channels);
    for (int i = 0; i < frames; ++i) {
      const float* row = x + static_cast<size_t>(i) * channels;
      float sum = 0.0f;
      for (int c = 0; c < channels; ++c) sum += row[c];
      if (!std::isfinite(sum)) non_finite(path, position + i);
      out[i] = channels == 1 ? sum : sum * scale;
    }
    position += frames;
  };
  const AudioInfo info = detail::decode_file(path, options, &sink);
  audio.sample_rate = info.sample_rate;
  if (options.target_rate > 0 && options.target_rate != audio.sample_rate) {
    try {
      audio.samples = resample(audio.samples, audio.sample_rate, options.target_rate);
    } catch (const Error& e) {
      throw IoError("'" + path + "': " + e.what());
    }
    audio.sample_rate = options.target_rate;
  }
  return audio;
}

AudioLevels measure_levels(const std::string& path, const ReadOptions& options,
                           AudioInfo* decoded) {
  double peak = 0.0;
  double sum_sq = 0.0;
  int64_t count = 0;
  int64_t position = 0;
  const detail::FrameSink sink = [&](const float* x, int frames, int channels, int) {
    const size_t n = static_cast<size_t>(frames) * channels;
    for (size_t i = 0; i < n; ++i) {
      const double v = x[i];
      if (!std::isfinite(v)) non_finite(path, position + static_cast<int64_t>(i) / channels);
      peak = std::max(peak, std::abs(v));
      sum_sq += v * v;
    }
    count += static_cast<int64_t>(n);
    position += frames;
  };
  const AudioInfo info = detail::decode_file(path, options, &sink);
  if (decoded != nullptr) *decoded = info;
  AudioLevels levels;
  levels.frames = info.frames;
  levels.duration_s = info.duration_s;
  const double ninf = -std::numeric_limits<double>::infinity();
  levels.peak_dbfs = peak > 0 ? 20.0 * std::log10(peak) : ninf;
  levels.rms_dbfs = sum_sq > 0 ? 10.0 * std::log10(sum_sq / static_cast<double>(count)) : ninf;
  return levels;
}

}  // namespace xcodec::audio
