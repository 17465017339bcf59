#pragma once
// Private: FFmpeg-based streaming decoder shared by read_audio, probe_audio and measure_levels.
#include <functional>
#include <string>

#include "xcodec/audio/audio.h"

namespace xcodec::audio::detail {

/// Receives decoded audio as interleaved float: `frames` x `channels` values at `sample_rate`.
using FrameSink =
    std::function<void(const float* interleaved, int frames, int channels, int sample_rate)>;

/// Opens `path`, checks limits, and (when `sink` is set) decodes the best audio stream
/// completely, calling `sink` for every decoded frame. Returns the header information.
/// Throws IoError "<path>: <reason>" on every failure.
AudioInfo decode_file(const std::string& path, const ReadOptions& options, const FrameSink* sink);

}  // namespace xcodec::audio::detail
