#pragma once
/// Audio file I/O: decode anything FFmpeg understands to mono float, resample with soxr, write
/// WAV/FLAC with libsndfile.
///
///   #include "xcodec/audio/audio.h"
///   xcodec::audio::Audio a = xcodec::audio::read_audio("in.m4a", 16000);  // mono, 16 kHz
///   // a.samples: float in [-1, 1], a.sample_rate == 16000
///   xcodec::audio::write_audio("out.wav", a);                            // 16-bit PCM WAV
///   xcodec::audio::AudioInfo info = xcodec::audio::probe_audio("in.m4a"); // header only
///
/// Every failure throws xcodec::IoError whose message names the file and the reason (empty,
/// truncated, unknown format, no audio stream, zero channels, NaN/Inf samples, over a limit, ...).
/// Malformed input never crashes the reader: sizes are bounded before anything is allocated and
/// each file has a wall-clock time limit.
#include <cstdint>
#include <string>
#include <vector>

#include "xcodec/audio/resample.h"

namespace xcodec::audio {

/// A mono signal: float samples (nominally in [-1, 1]) at `sample_rate` Hz.
struct Audio {
  std::vector<float> samples;  // [T] mono samples
  int sample_rate = 0;         // Hz
  /// Length in seconds (0 when sample_rate is 0).
  double duration_s() const {
    return sample_rate > 0 ? static_cast<double>(samples.size()) / sample_rate : 0.0;
  }
};

/// What the container header says about a file's best audio stream (no decoding).
struct AudioInfo {
  std::string path;        // the file probed
  std::string format;      // container, FFmpeg's short name ("wav", "flac", "ogg", "mp3", ...)
  std::string codec;       // codec name ("pcm_s16le", "vorbis", "aac", ...)
  int sample_rate = 0;     // Hz
  int channels = 0;        // channel count of the stream
  int64_t frames = -1;     // samples per channel as declared by the header; -1 when unknown
  double duration_s = -1;  // seconds as declared (or estimated) by the container; -1 when unknown
  int64_t bit_rate = 0;    // bits per second as declared; 0 when unknown
  int64_t file_bytes = 0;  // size of the file on disk
};

/// Limits that keep a malformed or hostile file from exhausting memory or time.
struct ReadOptions {
  int target_rate = 0;                 // Hz of the returned audio; 0 keeps the file's own rate
  double max_duration_s = 4 * 3600.0;  // seconds; longer files are rejected (before decoding when
                                       // the header says so, else as soon as decoding passes it)
  int64_t max_file_bytes = int64_t{8} << 30;  // bytes; bigger files are rejected unread
  int max_channels = 256;                     // channels; more are rejected
  double time_limit_s = 300.0;                // wall-clock seconds per file; 0 disables
  bool check_truncation = true;  // reject files that decode to much less than the header declares
};

/// Peak and RMS level of a decoded file (over all channels, before down-mixing).
struct AudioLevels {
  int64_t frames = 0;       // decoded samples per channel
  double duration_s = 0.0;  // decoded seconds
  double peak_dbfs = 0.0;   // 20*log10(max |x|); -inf for digital silence
  double rms_dbfs = 0.0;    // 10*log10(mean x^2); -inf for digital silence
};

/// Reads the header of `path` (any container FFmpeg knows; the extension is ignored).
/// Throws IoError naming the file and the reason when it is not a readable audio file.
AudioInfo probe_audio(const std::string& path, const ReadOptions& options = {});

/// Decodes `path` completely, averages all channels to mono and, when `target_rate` > 0 and it
/// differs from the file's rate, resamples with soxr (high quality). Throws IoError (see above).
Audio read_audio(const std::string& path, int target_rate = 0);
/// Same with explicit limits (`options.target_rate` is the target rate).
Audio read_audio(const std::string& path, const ReadOptions& options);

/// Decodes `path` and measures peak and RMS levels over all channels. When `decoded` is given
/// it receives the header information with `frames`/`duration_s`/`sample_rate` replaced by what
/// was actually decoded. Throws like read_audio.
AudioLevels measure_levels(const std::string& path, const ReadOptions& options = {},
                           AudioInfo* decoded = nullptr);

/// Output encodings of write_audio.
enum class AudioFileFormat {
  kWav16,     // WAV, 16-bit PCM (samples clipped to [-1, 1])
  kWavFloat,  // WAV, 32-bit IEEE float
  kFlac16,    // FLAC, 16-bit
};
inline constexpr AudioFileFormat kWav16 = AudioFileFormat::kWav16;
inline constexpr AudioFileFormat kWavFloat = AudioFileFormat::kWavFloat;
inline constexpr AudioFileFormat kFlac16 = AudioFileFormat::kFlac16;

/// File extension (with the dot) of a format: ".wav" or ".flac".
std::string file_extension(AudioFileFormat format);
/// Parses "wav" (16-bit), "wav16", "wav-float"/"float", "flac"; throws ConfigError otherwise.
AudioFileFormat parse_audio_file_format(const std::string& name);
/// The name parse_audio_file_format accepts for `format` ("wav", "wav-float", "flac").
std::string audio_file_format_name(AudioFileFormat format);

/// Writes mono `audio` to `path` atomically (temporary file beside it, fsync, rename), so no
/// half-written file ever carries the final name. Throws IoError naming the path on failure and
/// on NaN/Inf samples or a non-positive sample rate.
void write_audio(const std::string& path, const Audio& audio, AudioFileFormat format = kWav16);

/// Silences FFmpeg's own log output unless xcodec logs at debug level. Called by the readers.
void configure_ffmpeg_logging();

}  // namespace xcodec::audio
