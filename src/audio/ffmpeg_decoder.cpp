#include "audio/ffmpeg_decoder.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/channel_layout.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libavutil/mathematics.h>
}

#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <vector>

#include "xcodec/audio/audio_extensions.h"
#include "xcodec/core/error.h"
#include "xcodec/core/logging.h"

namespace xcodec::audio {

void configure_ffmpeg_logging() {
  // FFmpeg prints warnings for every slightly odd file straight to stderr; in a run over a large
  // corpus that drowns the progress output. Our own errors already name file and reason.
  av_log_set_level(log_level() == LogLevel::kDebug ? AV_LOG_WARNING : AV_LOG_QUIET);
}

namespace detail {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& reason) {
  throw IoError("'" + path + "': " + reason);
}

[[noreturn]] void fail_not_audio(const std::string& path, const std::string& reason) {
  throw NotAudioError("'" + path + "': " + reason);
}

std::string av_error_string(int code) {
  std::array<char, AV_ERROR_MAX_STRING_SIZE> buf{};
  av_strerror(code, buf.data(), buf.size());
  return buf.data();
}

// Wall-clock limit, checked by FFmpeg's interrupt callback (inside blocking reads) and by the
// decode loop, so a file that makes a demuxer spin cannot stall the run.
struct Deadline {
  bool enabled = false;
  std::chrono::steady_clock::time_point end;
  bool expired() const { return enabled && std::chrono::steady_clock::now() > end; }
};

int interrupt_callback(void* opaque) { return static_cast<const Deadline*>(opaque)->expired(); }

struct FormatCloser {
  void operator()(AVFormatContext* f) const { avformat_close_input(&f); }
};
struct CodecFreer {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct PacketFreer {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct FrameFreer {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct DictFreer {
  void operator()(AVDictionary* d) const { av_dict_free(&d); }
};
struct IoCloser {
  void operator()(AVIOContext* pb) const { avio_closep(&pb); }
};

// Demuxers that read other files or are not audio containers at all; a file detected as one
// of these is rejected rather than followed.
const std::set<std::string>& rejected_demuxers() {
  static const std::set<std::string> names = {"hls",    "concat", "image2",     "image2pipe",
                                              "tty",    "lavfi",  "ffmetadata", "dash",
                                              "mpjpeg", "srt",    "webvtt",     "ass"};
  return names;
}

// Converts one decoded frame of any FFmpeg sample format to interleaved float in [-1, 1].
void to_interleaved_float(const AVFrame* frame, int channels, std::vector<float>* out) {
  const int n = frame->nb_samples;
  out->resize(static_cast<size_t>(n) * channels);
  const auto fmt = static_cast<AVSampleFormat>(frame->format);
  const bool planar = av_sample_fmt_is_planar(fmt) != 0;
  const AVSampleFormat packed = av_get_packed_sample_fmt(fmt);
  float* dst = out->data();
  for (int c = 0; c < channels; ++c) {
    const uint8_t* base = planar ? frame->extended_data[c] : frame->extended_data[0];
    const int stride = planar ? 1 : channels;
    const int offset = planar ? 0 : c;
    for (int i = 0; i < n; ++i) {
      const size_t k = static_cast<size_t>(i) * stride + offset;
      float v = 0.0f;
      switch (packed) {
        case AV_SAMPLE_FMT_U8:
          v = (static_cast<float>(base[k]) - 128.0f) * (1.0f / 128.0f);
          break;
        case AV_SAMPLE_FMT_S16:
          v = static_cast<float>(reinterpret_cast<const int16_t*>(base)[k]) * (1.0f / 32768.0f);
          break;
        case AV_SAMPLE_FMT_S32:
          v = static_cast<float>(static_cast<double>(reinterpret_cast<const int32_t*>(base)[k]) *
                                 (1.0 / 2147483648.0));
          break;
        case AV_SAMPLE_FMT_S64:
          v = static_cast<float>(static_cast<double>(reinterpret_cast<const int64_t*>(base)[k]) *
                                 (1.0 / 9223372036854775808.0));
          break;
        case AV_SAMPLE_FMT_FLT:
          v = reinterpret_cast<const float*>(base)[k];
          break;
        case AV_SAMPLE_FMT_DBL:
          v = static_cast<float>(reinterpret_cast<const double*>(base)[k]);
          break;
        default:
          throw IoError("unsupported sample format " + std::string(av_get_sample_fmt_name(fmt)
                                                                       ? av_get_sample_fmt_name(fmt)
                                                                       : "?"));
      }
      dst[static_cast<size_t>(i) * channels + c] = v;
    }
  }
}

uint32_t le32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
uint16_t le16(const unsigned char* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

// The fields of a WAV file's "fmt " chunk that FFmpeg's demuxer does not pass on faithfully.
struct WavFormatChunk {
  bool found = false;
  uint16_t format_tag = 0;           // 1 = PCM, 3 = IEEE float, 0xFFFE = WAVE_FORMAT_EXTENSIBLE
  uint16_t block_align = 0;          // bytes per frame (all channels)
  uint16_t bits_per_sample = 0;      // container bits per sample
  uint16_t valid_bits = 0;           // WAVE_FORMAT_EXTENSIBLE: wValidBitsPerSample
  unsigned char subformat[16] = {};  // WAVE_FORMAT_EXTENSIBLE: SubFormat GUID (bytes as stored)
  int64_t data_bytes = -1;           // size of the "data" chunk; -1 when absent or a placeholder

  /// KSDATAFORMAT_SUBTYPE_PCM, 00000001-0000-0010-8000-00AA00389B71: integer PCM samples.
  bool extensible_integer_pcm() const {
    static const unsigned char kPcm[16] = {0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
                                           0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
    return found && format_tag == 0xFFFE && std::memcmp(subformat, kPcm, 16) == 0;
  }
};

// Reads the "fmt " chunk and the size of the "data" chunk of a RIFF/RF64 WAVE file (found =
// false when there is no "fmt " chunk).
WavFormatChunk read_wav_format_chunk(const std::string& path, int64_t file_size) {
  WavFormatChunk f;
  std::ifstream in(path, std::ios::binary);
  char riff[12];
  if (!in.read(riff, 12) ||
      (std::memcmp(riff, "RIFF", 4) != 0 && std::memcmp(riff, "RF64", 4) != 0) ||
      std::memcmp(riff + 8, "WAVE", 4) != 0) {
    return f;
  }
  int64_t offset = 12;
  for (int chunk = 0; chunk < 64 && offset + 8 <= file_size; ++chunk) {
    unsigned char head[8];
    in.seekg(offset);
    if (!in.read(reinterpret_cast<char*>(head), 8)) return f;
    const uint32_t size = le32(head + 4);
    if (std::memcmp(head, "fmt ", 4) == 0) {
      unsigned char fmt[40] = {};
      const std::streamsize want = std::min<uint32_t>(size, 40);
      if (want < 16 || !in.read(reinterpret_cast<char*>(fmt), want)) return f;
      f.found = true;
      f.format_tag = le16(fmt);
      f.block_align = le16(fmt + 12);
      f.bits_per_sample = le16(fmt + 14);
      if (want >= 40 && le16(fmt + 16) >= 22) {
        f.valid_bits = le16(fmt + 18);
        std::memcpy(f.subformat, fmt + 24, 16);
      }
    } else if (std::memcmp(head, "data", 4) == 0) {
      if (size != 0 && size != 0xffffffffu) {
        f.data_bytes = std::min<int64_t>(size, file_size - (offset + 8));
      }
      return f;
    }
    offset += 8 + static_cast<int64_t>(size) + (size & 1);
  }
  return f;
}

// FFmpeg's WAV demuxer silently ignores a data chunk that claims more bytes than the file holds
// (it falls back to a bitrate estimate), so a cut-off WAV would pass as a shorter file. Returns
// the number of missing bytes (0 when complete or when the size is a streaming placeholder).
int64_t wav_missing_bytes(const std::string& path, int64_t file_size) {
  std::ifstream in(path, std::ios::binary);
  char riff[12];
  if (!in.read(riff, 12) || std::memcmp(riff, "RIFF", 4) != 0 ||
      std::memcmp(riff + 8, "WAVE", 4) != 0) {
    return 0;
  }
  int64_t offset = 12;
  for (int chunk = 0; chunk < 64 && offset + 8 <= file_size; ++chunk) {
    unsigned char head[8];
    in.seekg(offset);
    if (!in.read(reinterpret_cast<char*>(head), 8)) return 0;
    const uint32_t size = le32(head + 4);
    if (std::memcmp(head, "data", 4) == 0) {
      if (size == 0 || size == 0xffffffffu) return 0;  // written while streaming: unknown size
      const int64_t available = file_size - (offset + 8);
      return size > available ? static_cast<int64_t>(size) - available : 0;
    }
    offset += 8 + static_cast<int64_t>(size) + (size & 1);
  }
  return 0;
}

double declared_duration(const AVFormatContext* fmt, const AVStream* st) {
  if (st->duration != AV_NOPTS_VALUE && st->duration > 0 && st->time_base.den > 0) {
    return static_cast<double>(st->duration) * av_q2d(st->time_base);
  }
  if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0) {
    return static_cast<double>(fmt->duration) / AV_TIME_BASE;
  }
  return -1.0;
}

}  // namespace

AudioInfo decode_file(const std::string& path, const ReadOptions& options, const FrameSink* sink) {
  configure_ffmpeg_logging();
  AudioInfo info;
  info.path = path;

  // Cheap checks first: never hand FFmpeg a directory, FIFO or device (it would block or read
  // forever) or an empty file. The size limit waits for the content probe (which reads at most
  // 1 MiB), so that a huge archive beside the audio is "not audio" rather than "too large".
  struct stat st_buf {};
  if (::stat(path.c_str(), &st_buf) != 0) fail(path, std::strerror(errno));
  if (S_ISDIR(st_buf.st_mode)) fail(path, "is a directory");
  if (!S_ISREG(st_buf.st_mode)) fail(path, "not a regular file");
  if (st_buf.st_size == 0) fail_not_audio(path, "empty file");
  info.file_bytes = st_buf.st_size;

  Deadline deadline;
  if (options.time_limit_s > 0) {
    deadline.enabled = true;
    deadline.end = std::chrono::steady_clock::now() +
                   std::chrono::milliseconds(static_cast<int64_t>(options.time_limit_s * 1000));
  }
  auto check_deadline = [&] {
    if (deadline.expired()) {
      fail(path, "time limit of " + std::to_string(options.time_limit_s) + " s exceeded");
    }
  };

  // Identify the format by content first (FFmpeg's probe over the file's first bytes; the name
  // is only a tie-breaker), and open the file with exactly that demuxer. Deciding before
  // avformat_open_input means a playlist or concat script is rejected before its demuxer could
  // open the files it names. "file:" keeps a ':' in a relative name from reading as a protocol.
  const std::string url = "file:" + path;
  const AVIOInterruptCB interrupt{interrupt_callback, &deadline};
  const AVInputFormat* input_format = nullptr;
  int probe_score = 0;
  {
    AVDictionary* io_opts = nullptr;
    av_dict_set(&io_opts, "protocol_whitelist", "file", 0);
    AVIOContext* raw_pb = nullptr;
    int r = avio_open2(&raw_pb, url.c_str(), AVIO_FLAG_READ, &interrupt, &io_opts);
    av_dict_free(&io_opts);
    if (r < 0) fail(path, "cannot open: " + av_error_string(r));
    std::unique_ptr<AVIOContext, IoCloser> pb(raw_pb);
    r = av_probe_input_buffer2(pb.get(), &input_format, path.c_str(), nullptr, 0, 0);
    check_deadline();
    if (r < 0 || input_format == nullptr) {
      if (r == AVERROR_EOF || r == AVERROR_INVALIDDATA || input_format == nullptr) {
        fail_not_audio(path, "not audio (no known format in its content)");
      }
      fail(path, "cannot read: " + av_error_string(r));
    }
    probe_score = r;
  }
  const std::string demuxer = input_format->name != nullptr ? input_format->name : "?";
  if (rejected_demuxers().count(demuxer) != 0) {
    fail_not_audio(path, "not audio (detected as '" + demuxer + "')");
  }
  // FFmpeg accepts any best guess; a guess this weak on random bytes is not audio.
  if (probe_score < AVPROBE_SCORE_RETRY) {
    fail_not_audio(path, "not audio (best guess '" + demuxer + "' with probe score " +
                             std::to_string(probe_score) + ")");
  }

  if (options.max_file_bytes > 0 && info.file_bytes > options.max_file_bytes) {
    fail(path, "file too large (" + std::to_string(info.file_bytes) + " bytes, limit " +
                   std::to_string(options.max_file_bytes) + ")");
  }

  AVFormatContext* raw_fmt = avformat_alloc_context();
  if (raw_fmt == nullptr) fail(path, "out of memory");
  raw_fmt->interrupt_callback = interrupt;
  AVDictionary* raw_opts = nullptr;
  // Only local files: a demuxer that opens further files may not reach the network.
  av_dict_set(&raw_opts, "protocol_whitelist", "file", 0);
  int r = avformat_open_input(&raw_fmt, url.c_str(), input_format, &raw_opts);
  std::unique_ptr<AVDictionary, DictFreer> opts_holder(raw_opts);
  if (r < 0) {
    check_deadline();
    if (r == AVERROR_INVALIDDATA) fail(path, "unknown format (not audio, or truncated header)");
    if (r == AVERROR_EOF)
      fail(path, "truncated or corrupt header (end of file reached while reading it)");
    fail(path, "unknown or corrupt format (" + av_error_string(r) + ")");
  }
  std::unique_ptr<AVFormatContext, FormatCloser> fmt(raw_fmt);
  info.format = demuxer;

  if (demuxer == "wav") {
    const int64_t missing = wav_missing_bytes(path, info.file_bytes);
    if (missing > 0) {
      fail(path, "truncated (the WAV data chunk is " + std::to_string(missing) +
                     " bytes longer than the file)");
    }
  }

  r = avformat_find_stream_info(fmt.get(), nullptr);
  check_deadline();
  if (r < 0) fail(path, "cannot read stream information: " + av_error_string(r));

  const int stream_index = av_find_best_stream(fmt.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  if (stream_index == AVERROR_DECODER_NOT_FOUND) fail(path, "no decoder for its audio stream");
  if (stream_index < 0)
    fail_not_audio(path, "not audio (no audio stream; format '" + demuxer + "')");
  AVStream* stream = fmt->streams[stream_index];
  AVCodecParameters* par = stream->codecpar;
  // FFmpeg's WAV demuxer turns 24-bit samples in 4-byte containers into "pcm_f24le" (24.0
  // floating point), also for WAVE_FORMAT_EXTENSIBLE files whose SubFormat GUID says integer
  // PCM: the usual layout for 24-bit audio (wValidBitsPerSample 24, wBitsPerSample 32). Read as
  // float, those integers become garbage and NaN. The extensible format puts the valid bits in
  // the most significant bits of the container, so the samples are read as 32-bit integers.
  // The demuxer also counted the frames with 3 bytes per sample: recount them from the data
  // chunk (the truncation check compares the decoded length with that count).
  if (demuxer == "wav" && par->codec_id == AV_CODEC_ID_PCM_F24LE) {
    const WavFormatChunk wav = read_wav_format_chunk(path, info.file_bytes);
    if (wav.extensible_integer_pcm()) {
      par->codec_id = AV_CODEC_ID_PCM_S32LE;
      par->bits_per_coded_sample = 32;
      stream->duration = AV_NOPTS_VALUE;
      fmt->duration = AV_NOPTS_VALUE;
      if (wav.data_bytes > 0 && par->block_align > 0 && par->sample_rate > 0) {
        const int64_t frames = wav.data_bytes / par->block_align;
        stream->duration = av_rescale_q(frames, AVRational{1, par->sample_rate}, stream->time_base);
        fmt->duration = av_rescale(frames, AV_TIME_BASE, par->sample_rate);
      }
    }
  }
  const AVCodec* codec = avcodec_find_decoder(par->codec_id);
  info.codec = avcodec_get_name(par->codec_id);
  info.sample_rate = par->sample_rate;
  info.channels = par->ch_layout.nb_channels;
  info.bit_rate = par->bit_rate > 0 ? par->bit_rate : fmt->bit_rate;
  if (info.channels <= 0) fail(path, "zero channels");
  if (info.channels > options.max_channels) {
    fail(path, "too many channels (" + std::to_string(info.channels) + ", limit " +
                   std::to_string(options.max_channels) + ")");
  }
  if (info.sample_rate <= 0 || info.sample_rate > 1536000) {
    fail(path, "invalid sample rate " + std::to_string(info.sample_rate));
  }
  info.duration_s = declared_duration(fmt.get(), stream);
  if (info.duration_s > 0) {
    info.frames = static_cast<int64_t>(std::llround(info.duration_s * info.sample_rate));
  }
  const bool duration_trusted =
      info.duration_s > 0 && fmt->duration_estimation_method != AVFMT_DURATION_FROM_BITRATE;
  if (options.max_duration_s > 0 && duration_trusted && info.duration_s > options.max_duration_s) {
    fail(path, "too long (" + std::to_string(info.duration_s) + " s, limit " +
                   std::to_string(options.max_duration_s) + " s)");
  }
  if (codec == nullptr) fail(path, "no decoder for codec '" + info.codec + "'");
  if (sink == nullptr) return info;

  std::unique_ptr<AVCodecContext, CodecFreer> dec(avcodec_alloc_context3(codec));
  if (!dec) fail(path, "out of memory");
  r = avcodec_parameters_to_context(dec.get(), par);
  if (r < 0) fail(path, "bad codec parameters: " + av_error_string(r));
  dec->thread_count = 1;  // files are decoded in parallel, one thread each
  dec->pkt_timebase = stream->time_base;
  r = avcodec_open2(dec.get(), codec, nullptr);
  if (r < 0) fail(path, "cannot open decoder '" + info.codec + "': " + av_error_string(r));

  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    if (static_cast<int>(i) != stream_index) fmt->streams[i]->discard = AVDISCARD_ALL;
  }

  std::unique_ptr<AVPacket, PacketFreer> pkt(av_packet_alloc());
  std::unique_ptr<AVFrame, FrameFreer> frame(av_frame_alloc());
  if (!pkt || !frame) fail(path, "out of memory");

  std::vector<float> buffer;
  int64_t decoded_frames = 0;
  int out_rate = 0;
  int64_t packets = 0;
  int64_t bad_packets = 0;
  int64_t limit_frames = -1;

  auto drain = [&]() {
    while (true) {
      const int rr = avcodec_receive_frame(dec.get(), frame.get());
      if (rr == AVERROR(EAGAIN) || rr == AVERROR_EOF) return;
      if (rr < 0) {
        ++bad_packets;
        return;
      }
      const int channels = frame->ch_layout.nb_channels;
      const int rate = frame->sample_rate;
      if (channels <= 0) fail(path, "zero channels in decoded audio");
      if (channels > options.max_channels) fail(path, "too many channels in decoded audio");
      if (rate <= 0) fail(path, "invalid sample rate in decoded audio");
      if (out_rate == 0) {
        out_rate = rate;
        if (options.max_duration_s > 0) {
          limit_frames = static_cast<int64_t>(options.max_duration_s * rate) + 1;
        }
      } else if (rate != out_rate) {
        fail(path, "sample rate changes mid-stream (" + std::to_string(out_rate) + " -> " +
                       std::to_string(rate) + " Hz)");
      }
      if (frame->nb_samples > 0) {
        try {
          to_interleaved_float(frame.get(), channels, &buffer);
        } catch (const IoError& e) {
          fail(path, e.what());
        }
        (*sink)(buffer.data(), frame->nb_samples, channels, rate);
        decoded_frames += frame->nb_samples;
        if (limit_frames > 0 && decoded_frames > limit_frames) {
          fail(path,
               "too long (more than " + std::to_string(options.max_duration_s) + " s decoded)");
        }
      }
      av_frame_unref(frame.get());
    }
  };

  bool read_error = false;
  while (true) {
    check_deadline();
    r = av_read_frame(fmt.get(), pkt.get());
    if (r == AVERROR_EOF) break;
    if (r < 0) {
      check_deadline();
      read_error = true;  // demuxer hit garbage or a cut-off file: keep what was decoded
      break;
    }
    if (pkt->stream_index != stream_index) {
      av_packet_unref(pkt.get());
      continue;
    }
    ++packets;
    r = avcodec_send_packet(dec.get(), pkt.get());
    if (r == AVERROR(EAGAIN)) {
      drain();
      r = avcodec_send_packet(dec.get(), pkt.get());
    }
    av_packet_unref(pkt.get());
    if (r < 0 && r != AVERROR(EAGAIN)) ++bad_packets;
    drain();
  }
  avcodec_send_packet(dec.get(), nullptr);
  drain();

  if (decoded_frames == 0) {
    fail(path, read_error || bad_packets > 0 ? "no audio decoded (corrupt or truncated data)"
                                             : "no audio samples (truncated or empty stream)");
  }
  // A few undecodable packets happen in real files (a damaged frame, a cut tail); most of them
  // failing means the data is not what the header claims.
  if (bad_packets > 2 && bad_packets * 4 > packets) {
    fail(path, "corrupt data (" + std::to_string(bad_packets) + " of " + std::to_string(packets) +
                   " packets failed to decode)");
  }
  const double decoded_s = static_cast<double>(decoded_frames) / out_rate;
  if (options.check_truncation && duration_trusted && decoded_s < 0.9 * info.duration_s - 0.05) {
    fail(path, "truncated (decoded " + std::to_string(decoded_s) + " s of the " +
                   std::to_string(info.duration_s) + " s its header declares)");
  }
  info.sample_rate = out_rate;
  info.frames = decoded_frames;
  info.duration_s = decoded_s;
  return info;
}

}  // namespace detail
}  // namespace xcodec::audio
