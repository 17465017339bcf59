// Reader, resampler and writer: formats generated with ffmpeg/sox at test time, malformed input.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "audio/audio_test_util.h"
#include "support/test_support.h"
#include "xcodec/audio/audio.h"
#include "xcodec/audio/audio_extensions.h"
#include "xcodec/audio/resample.h"
#include "xcodec/core/error.h"

namespace xcodec::audio {
namespace {

namespace fs = std::filesystem;
using xcodec::testing::TempDir;

std::vector<float> sine(int rate, double seconds, double freq, double amp) {
  std::vector<float> x(static_cast<size_t>(std::llround(rate * seconds)));
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<float>(amp * std::sin(2.0 * M_PI * freq * static_cast<double>(i) / rate));
  }
  return x;
}

// Expects `what()` of an IoError thrown by `fn` to contain every fragment.
template <typename Fn>
void expect_io_error(Fn fn, const std::vector<std::string>& fragments) {
  try {
    fn();
    ADD_FAILURE() << "expected IoError containing '" << fragments.front() << "'";
  } catch (const IoError& e) {
    for (const auto& f : fragments) {
      EXPECT_NE(std::string(e.what()).find(f), std::string::npos)
          << "message '" << e.what() << "' lacks '" << f << "'";
    }
  }
}

TEST(Resample, SineKeepsLengthFrequencyAndAmplitude) {
  const std::vector<float> x = sine(44100, 1.0, 1000.0, 0.5);
  const std::vector<float> y = resample(x, 44100, 16000);
  ASSERT_EQ(y.size(), 16000u);
  EXPECT_NEAR(xcodec::testing::zero_crossing_frequency(y, 16000), 1000.0, 1.0);
  EXPECT_NEAR(xcodec::testing::tone_amplitude(y, 16000, 1000.0), 0.5, 0.005);
  // Aligned with the input: the resampled sine has the same phase as a 16 kHz sine.
  const std::vector<float> ref = sine(16000, 1.0, 1000.0, 0.5);
  double err = 0.0;
  for (size_t i = 1000; i < 15000; ++i) err = std::max(err, std::abs(double(y[i]) - ref[i]));
  EXPECT_LT(err, 0.01);
}

TEST(Resample, LengthIsRoundedRatioAndRatesAreChecked) {
  EXPECT_EQ(resample(std::vector<float>(1001, 0.1f), 16000, 24000).size(), 1502u);  // 1501.5
  EXPECT_EQ(resample(std::vector<float>(999, 0.1f), 48000, 16000).size(), 333u);
  EXPECT_EQ(resample(std::vector<float>(7, 0.1f), 16000, 16000).size(), 7u);
  EXPECT_TRUE(resample({}, 16000, 8000).empty());
  EXPECT_THROW(resample({1.0f}, 0, 16000), ConfigError);
  EXPECT_THROW(resample({1.0f}, 16000, -1), ConfigError);
}

TEST(AudioReader, StereoSineAt44kBecomesMono16k) {
  TempDir dir;
  const std::string path = (dir.path() / "tone.wav").string();
  ASSERT_TRUE(xcodec::testing::ffmpeg_tone(path, 44100, 1.0, "-c:a pcm_s16le"));
  const Audio a = read_audio(path, 16000);
  EXPECT_EQ(a.sample_rate, 16000);
  ASSERT_EQ(a.samples.size(), 16000u);
  EXPECT_NEAR(xcodec::testing::zero_crossing_frequency(a.samples, 16000), 1000.0, 1.0);
  // Mono = average of left (0.5) and right (0.25).
  EXPECT_NEAR(xcodec::testing::tone_amplitude(a.samples, 16000, 1000.0), 0.375, 0.005);

  const Audio native = read_audio(path);
  EXPECT_EQ(native.sample_rate, 44100);
  EXPECT_EQ(native.samples.size(), 44100u);
}

struct FormatCase {
  const char* name;      // test label
  const char* file;      // output file name (extension may lie)
  const char* args;      // ffmpeg encoder arguments
  int rate;              // source rate
  int channels;          // source channels
  bool lossy;            // lossy codec: looser checks
  const char* want_fmt;  // substring of the detected container name
};

// One test over all formats (each case is traced by name): one process under CTest instead of
// twenty keeps the suite fast.
TEST(AudioReader, DecodesGeneratedFormatsToMono16k) {
  const std::vector<FormatCase> cases = {
      FormatCase{"wav_u8", "u8.wav", "-c:a pcm_u8", 22050, 2, false, "wav"},
      FormatCase{"wav_s16", "s16.wav", "-c:a pcm_s16le", 44100, 2, false, "wav"},
      FormatCase{"wav_s24", "s24.wav", "-c:a pcm_s24le", 48000, 2, false, "wav"},
      FormatCase{"wav_s32", "s32.wav", "-c:a pcm_s32le", 16000, 1, false, "wav"},
      FormatCase{"wav_f32", "f32.wav", "-c:a pcm_f32le", 32000, 2, false, "wav"},
      FormatCase{"wav_alaw", "alaw.wav", "-c:a pcm_alaw", 8000, 1, false, "wav"},
      FormatCase{"wav_mulaw", "mulaw.wav", "-c:a pcm_mulaw", 8000, 2, false, "wav"},
      FormatCase{"flac", "x.flac", "-c:a flac", 44100, 2, false, "flac"},
      FormatCase{"ogg_vorbis", "x.ogg", "-c:a libvorbis", 44100, 2, true, "ogg"},
      FormatCase{"ogg_flac", "x.oga", "-c:a flac -f ogg", 32000, 2, false, "ogg"},
      FormatCase{"ogg_opus", "x.opus", "-c:a libopus -b:a 64k", 48000, 2, true, "ogg"},
      FormatCase{"webm_opus", "x.webm", "-c:a libopus -b:a 64k", 48000, 1, true, "webm"},
      FormatCase{"mp3", "x.mp3", "-c:a libmp3lame -b:a 128k", 44100, 2, true, "mp3"},
      FormatCase{"m4a_aac", "x.m4a", "-c:a aac -b:a 128k", 44100, 2, true, "mp4"},
      FormatCase{"m4a_alac", "alac.m4a", "-c:a alac", 44100, 2, false, "mp4"},
      FormatCase{"caf_alac", "x.caf", "-c:a alac", 22050, 1, false, "caf"},
      FormatCase{"ac3", "x.ac3", "-c:a ac3 -b:a 192k", 48000, 2, true, "ac3"},
      FormatCase{"aiff", "x.aiff", "-c:a pcm_s16be", 44100, 2, false, "aiff"},
      FormatCase{"au", "x.au", "-c:a pcm_s16be", 8000, 1, false, "au"},
      FormatCase{"wav_named_mp3", "lying.mp3", "-f wav -c:a pcm_s16le", 22050, 2, false, "wav"},
      FormatCase{"flac_named_wav", "lying.wav", "-f flac", 16000, 1, false, "flac"}};
  TempDir dir;
  for (const FormatCase& fc : cases) {
    SCOPED_TRACE(fc.name);
    const std::string path = (dir.path() / fc.file).string();
    ASSERT_TRUE(xcodec::testing::ffmpeg_tone(path, fc.rate, 0.5, fc.args, fc.channels));
    const AudioInfo info = probe_audio(path);
    EXPECT_NE(info.format.find(fc.want_fmt), std::string::npos) << info.format;
    EXPECT_EQ(info.channels, fc.channels);
    const Audio a = read_audio(path, 16000);
    EXPECT_EQ(a.sample_rate, 16000);
    const double tolerance = fc.lossy ? 0.06 : 0.002;
    EXPECT_NEAR(static_cast<double>(a.samples.size()), 8000.0, 8000.0 * tolerance);
    EXPECT_NEAR(xcodec::testing::zero_crossing_frequency(a.samples, 16000), 1000.0, 5.0);
    const double want_amp = fc.channels == 1 ? 0.5 : 0.375;
    EXPECT_NEAR(xcodec::testing::tone_amplitude(a.samples, 16000, 1000.0), want_amp,
                fc.lossy ? 0.05 : 0.02);
  }
}

TEST(AudioReader, SoxWaveExtensibleMultichannel) {
  TempDir dir;
  const std::string path = (dir.path() / "ext.wav").string();
  // sox writes WAVE_FORMAT_EXTENSIBLE for more than two channels / more than 16 bits.
  std::string out;
  ASSERT_EQ(xcodec::testing::run_command(
                "sox -n -r 24000 -c 4 -b 24 " + path + " synth 0.5 sine 1000 vol 0.5", &out),
            0)
      << out;
  const AudioInfo info = probe_audio(path);
  EXPECT_EQ(info.channels, 4);
  EXPECT_EQ(info.sample_rate, 24000);
  EXPECT_EQ(info.frames, 12000);
  const Audio a = read_audio(path, 16000);
  EXPECT_EQ(a.samples.size(), 8000u);
  EXPECT_NEAR(xcodec::testing::tone_amplitude(a.samples, 16000, 1000.0), 0.5, 0.02);
}

// A WAVE_FORMAT_EXTENSIBLE header, written byte by byte: fmt chunk of 40 bytes (cbSize 22),
// `valid_bits` valid bits in `container_bits`-bit samples, SubFormat GUID `subformat`.
std::string extensible_wav(int channels, int rate, int container_bits, int valid_bits,
                           const unsigned char (&subformat)[16], const std::string& data) {
  auto u32 = [](uint32_t v) {
    return std::string{static_cast<char>(v & 0xff), static_cast<char>((v >> 8) & 0xff),
                       static_cast<char>((v >> 16) & 0xff), static_cast<char>((v >> 24) & 0xff)};
  };
  auto u16 = [](uint16_t v) {
    return std::string{static_cast<char>(v & 0xff), static_cast<char>((v >> 8) & 0xff)};
  };
  const int block = channels * container_bits / 8;
  std::string fmt = u16(0xFFFE) + u16(static_cast<uint16_t>(channels)) +
                    u32(static_cast<uint32_t>(rate)) + u32(static_cast<uint32_t>(rate * block)) +
                    u16(static_cast<uint16_t>(block)) + u16(static_cast<uint16_t>(container_bits));
  fmt += u16(22) + u16(static_cast<uint16_t>(valid_bits)) + u32(channels == 1 ? 0x4 : 0x3);
  fmt += std::string(reinterpret_cast<const char*>(subformat), 16);
  std::string body = "WAVE";
  body += "fmt " + u32(static_cast<uint32_t>(fmt.size())) + fmt;
  body += "data" + u32(static_cast<uint32_t>(data.size())) + data;
  return "RIFF" + u32(static_cast<uint32_t>(body.size())) + body;
}

// Issue 11: 24 valid bits in 32-bit containers (WAVE_FORMAT_EXTENSIBLE, PCM SubFormat) is
// integer PCM. FFmpeg's demuxer calls it "pcm_f24le" and the samples came out as NaN/Inf.
TEST(AudioReader, WaveExtensible24BitsIn32AreIntegerPcm) {
  TempDir dir;
  static const unsigned char kPcmGuid[16] = {0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
                                             0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
  const std::vector<float> x = sine(16000, 0.5, 1000.0, 0.5);
  std::string data;
  for (const float v : x) {
    // 24-bit sample, left-justified in the 32-bit container (low byte zero), little-endian.
    const auto s24 = static_cast<int32_t>(std::lround(v * 8388607.0));
    const uint32_t c = static_cast<uint32_t>(s24) << 8;
    for (int b = 0; b < 4; ++b) data += static_cast<char>((c >> (8 * b)) & 0xff);
  }
  const std::string path = (dir.path() / "ext24in32.wav").string();
  xcodec::testing::write_bytes(path, extensible_wav(1, 16000, 32, 24, kPcmGuid, data));
  const Audio a = read_audio(path);
  ASSERT_EQ(a.samples.size(), x.size());
  EXPECT_EQ(a.sample_rate, 16000);
  double max_err = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    max_err = std::max(max_err, std::abs(static_cast<double>(a.samples[i]) - x[i]));
  }
  EXPECT_LT(max_err, 1e-6);
  EXPECT_EQ(probe_audio(path).codec, "pcm_s32le");
  AudioLevels levels = measure_levels(path);
  EXPECT_NEAR(levels.peak_dbfs, -6.02, 0.01);

  // Stereo too.
  std::string stereo;
  for (size_t i = 0; i < data.size(); i += 4) stereo += data.substr(i, 4) + data.substr(i, 4);
  const std::string path2 = (dir.path() / "ext24in32_stereo.wav").string();
  xcodec::testing::write_bytes(path2, extensible_wav(2, 16000, 32, 24, kPcmGuid, stereo));
  EXPECT_NEAR(xcodec::testing::tone_amplitude(read_audio(path2).samples, 16000, 1000.0), 0.5,
              0.001);
}

// What is not audio at all throws NotAudioError (prepare ignores those files); damaged audio
// throws a plain IoError.
TEST(AudioReader, NotAudioByContentWhateverTheName) {
  TempDir dir;
  const std::string png = (dir.path() / "image.wav").string();
  std::string out;
  ASSERT_EQ(
      xcodec::testing::run_command("ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "
                                   "color=c=red:s=16x16:d=1 -frames:v 1 -f image2 " +
                                       xcodec::testing::shell_quote(png),
                                   &out),
      0)
      << out;
  const std::string text = (dir.path() / "notes").string();
  xcodec::testing::write_bytes(text, "a transcript\n");
  // A playlist naming real audio: rejected by content before its demuxer could open the segment.
  ASSERT_TRUE(xcodec::testing::ffmpeg_tone((dir.path() / "seg.wav").string(), 16000, 1.0,
                                           "-c:a pcm_s16le", 1));
  const std::string playlist = (dir.path() / "list.m3u8").string();
  xcodec::testing::write_bytes(playlist,
                               "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nseg.wav\n"
                               "#EXT-X-ENDLIST\n");
  for (const std::string& p : {png, text, playlist}) {
    try {
      read_audio(p);
      ADD_FAILURE() << p << " decoded";
    } catch (const NotAudioError& e) {
      EXPECT_NE(std::string(e.what()).find("not audio"), std::string::npos) << e.what();
    }
  }
  // The size limit applies to audio: a huge archive beside the audio is still "not audio".
  ReadOptions tiny;
  tiny.max_file_bytes = 4;
  EXPECT_THROW(read_audio(text, tiny), NotAudioError);
  expect_io_error([&] { read_audio((dir.path() / "seg.wav").string(), tiny); }, {"too large"});
  // An empty file holds no audio either; damaged audio is a plain IoError.
  const std::string empty = (dir.path() / "empty.wav").string();
  xcodec::testing::write_bytes(empty, "");
  EXPECT_THROW(read_audio(empty), NotAudioError);
  const std::string good = (dir.path() / "good.flac").string();
  ASSERT_TRUE(xcodec::testing::ffmpeg_tone(good, 16000, 2.0, "-c:a flac", 1));
  const std::string cut = (dir.path() / "cut.flac").string();
  const std::string bytes = xcodec::testing::read_bytes(good);
  xcodec::testing::write_bytes(cut, bytes.substr(0, bytes.size() / 3));
  try {
    read_audio(cut);
    ADD_FAILURE() << "a truncated file decoded";
  } catch (const NotAudioError& e) {
    ADD_FAILURE() << "truncated audio is damaged audio, not 'not audio': " << e.what();
  } catch (const IoError&) {
  }
  // A ':' in a relative name is not a protocol.
  const fs::path cwd = fs::current_path();
  fs::current_path(dir.path());
  Audio t;
  t.sample_rate = 16000;
  t.samples = sine(16000, 0.2, 440.0, 0.3);
  write_audio("12:30 take.wav", t);
  EXPECT_EQ(read_audio("12:30 take.wav").samples.size(), 3200u);
  fs::current_path(cwd);
}

TEST(AudioReader, ProbeReportsHeaderWithoutDecoding) {
  TempDir dir;
  const std::string path = (dir.path() / "p.flac").string();
  ASSERT_TRUE(xcodec::testing::ffmpeg_tone(path, 22050, 2.0, "-c:a flac"));
  const AudioInfo info = probe_audio(path);
  EXPECT_EQ(info.format, "flac");
  EXPECT_EQ(info.codec, "flac");
  EXPECT_EQ(info.sample_rate, 22050);
  EXPECT_EQ(info.channels, 2);
  EXPECT_EQ(info.frames, 44100);
  EXPECT_NEAR(info.duration_s, 2.0, 1e-6);
  EXPECT_GT(info.file_bytes, 0);
}

TEST(AudioReader, MeasuresPeakAndRmsLevels) {
  TempDir dir;
  const std::string path = (dir.path() / "lvl.wav").string();
  ASSERT_TRUE(xcodec::testing::ffmpeg_tone(path, 16000, 1.0, "-c:a pcm_f32le", 1));
  AudioInfo decoded;
  const AudioLevels lv = measure_levels(path, {}, &decoded);
  EXPECT_EQ(lv.frames, 16000);
  EXPECT_EQ(decoded.frames, 16000);
  EXPECT_NEAR(lv.peak_dbfs, 20 * std::log10(0.5), 0.05);
  EXPECT_NEAR(lv.rms_dbfs, 20 * std::log10(0.5 / std::sqrt(2.0)), 0.05);
}

// ---- malformed input -----------------------------------------------------------------------

TEST(AudioReaderMalformed, EmptyFile) {
  TempDir dir;
  const std::string path = (dir.path() / "empty.wav").string();
  xcodec::testing::write_bytes(path, "");
  expect_io_error([&] { read_audio(path, 16000); }, {path, "empty file"});
}

TEST(AudioReaderMalformed, MissingFileAndDirectory) {
  TempDir dir;
  const std::string missing = (dir.path() / "nope.wav").string();
  expect_io_error([&] { read_audio(missing); }, {missing, "No such file"});
  expect_io_error([&] { read_audio(dir.str()); }, {dir.str(), "is a directory"});
}

TEST(AudioReaderMalformed, FifoIsRejectedWithoutBlocking) {
  TempDir dir;
  const std::string path = (dir.path() / "pipe.wav").string();
  ASSERT_EQ(::mkfifo(path.c_str(), 0644), 0);
  expect_io_error([&] { read_audio(path); }, {path, "not a regular file"});
}

TEST(AudioReaderMalformed, TruncatedHeader) {
  TempDir dir;
  const std::string good = (dir.path() / "good.wav").string();
  ASSERT_TRUE(xcodec::testing::ffmpeg_tone(good, 16000, 0.5, "-c:a pcm_s16le"));
  const std::string path = (dir.path() / "cut.wav").string();
  xcodec::testing::write_bytes(path, xcodec::testing::read_bytes(good).substr(0, 30));
  expect_io_error([&] { read_audio(path); }, {path});
}

TEST(AudioReaderMalformed, TruncatedData) {
  TempDir dir;
  for (const char* name : {"cut.wav", "cut.flac"}) {
    const std::string good = (dir.path() / (std::string("good_") + name)).string();
    const std::string args =
        std::string(name).find("flac") != std::string::npos ? "-c:a flac" : "-c:a pcm_s16le";
    ASSERT_TRUE(xcodec::testing::ffmpeg_tone(good, 16000, 2.0, args));
    const std::string bytes = xcodec::testing::read_bytes(good);
    const std::string path = (dir.path() / name).string();
    xcodec::testing::write_bytes(path, bytes.substr(0, bytes.size() / 3));
    expect_io_error([&] { read_audio(path); }, {path, "truncated"});
  }
}

TEST(AudioReaderMalformed, RandomBytesAndText) {
  TempDir dir;
  std::mt19937 rng(7);
  std::string noise(20000, '\0');
  for (char& c : noise) c = static_cast<char>(rng() & 0xff);
  for (const char* name : {"noise.wav", "noise.mp3", "noise.bin"}) {
    const std::string path = (dir.path() / name).string();
    xcodec::testing::write_bytes(path, noise);
    expect_io_error([&] { read_audio(path, 16000); }, {path});
  }
  const std::string text = (dir.path() / "notes.wav").string();
  xcodec::testing::write_bytes(text, "This is a transcript, not audio.\nSecond line.\n");
  expect_io_error([&] { read_audio(text, 16000); }, {text});
}

TEST(AudioReaderMalformed, NanAndInfSamples) {
  TempDir dir;
  std::vector<float> x(1000, 0.1f);
  x[500] = std::nanf("");
  const std::string nan_path = (dir.path() / "nan.wav").string();
  xcodec::testing::write_bytes(
      nan_path, xcodec::testing::wav_bytes(3, 1, 16000, 32, xcodec::testing::float_bytes(x)));
  expect_io_error([&] { read_audio(nan_path); }, {nan_path, "NaN/Inf", "500"});
  x[500] = 0.0f;
  x[10] = INFINITY;
  const std::string inf_path = (dir.path() / "inf.wav").string();
  xcodec::testing::write_bytes(
      inf_path, xcodec::testing::wav_bytes(3, 1, 16000, 32, xcodec::testing::float_bytes(x)));
  expect_io_error([&] { measure_levels(inf_path); }, {inf_path, "NaN/Inf"});
}

TEST(AudioReaderMalformed, ZeroChannelsAndAbsurdRate) {
  TempDir dir;
  const std::string zero = (dir.path() / "zero.wav").string();
  xcodec::testing::write_bytes(zero,
                               xcodec::testing::wav_bytes(1, 0, 16000, 16, std::string(400, '\0')));
  expect_io_error([&] { read_audio(zero); }, {zero});
  const std::string rate = (dir.path() / "rate.wav").string();
  xcodec::testing::write_bytes(rate,
                               xcodec::testing::wav_bytes(1, 1, 0, 16, std::string(400, '\0')));
  expect_io_error([&] { read_audio(rate); }, {rate});
}

TEST(AudioReaderMalformed, LimitsOnDurationSizeAndTime) {
  TempDir dir;
  const std::string path = (dir.path() / "one.wav").string();
  ASSERT_TRUE(xcodec::testing::ffmpeg_tone(path, 16000, 1.0, "-c:a pcm_s16le"));
  ReadOptions short_limit;
  short_limit.max_duration_s = 0.25;
  expect_io_error([&] { read_audio(path, short_limit); }, {path, "too long"});
  ReadOptions small_file;
  small_file.max_file_bytes = 100;
  expect_io_error([&] { read_audio(path, small_file); }, {path, "too large"});
  ReadOptions no_time;
  no_time.time_limit_s = 1e-9;
  expect_io_error([&] { read_audio(path, no_time); }, {path, "time limit"});
  // A header that claims far more data than the file has.
  const std::string liar = (dir.path() / "liar.wav").string();
  std::string bytes = xcodec::testing::wav_bytes(1, 1, 16000, 16, std::string(3200, '\x01'));
  bytes[40] = bytes[41] = bytes[42] = '\xff';
  bytes[43] = '\x7f';
  xcodec::testing::write_bytes(liar, bytes);
  expect_io_error([&] { read_audio(liar); }, {liar, "truncated"});
}

TEST(AudioReaderMalformed, MutatedFilesOnlyEverThrowIoError) {
  // A small deterministic fuzz: corrupt bytes (header and body) and cut files of several
  // formats; every read either succeeds or throws IoError, never anything else or a crash.
  TempDir dir;
  std::mt19937 rng(1234);
  const std::vector<std::pair<std::string, std::string>> sources = {{"s.wav", "-c:a pcm_s16le"},
                                                                    {"s.flac", "-c:a flac"},
                                                                    {"s.mp3", "-c:a libmp3lame"},
                                                                    {"s.ogg", "-c:a libvorbis"},
                                                                    {"s.m4a", "-c:a aac"}};
  int decoded = 0;
  int rejected = 0;
  for (const auto& [name, args] : sources) {
    const std::string good = (dir.path() / name).string();
    ASSERT_TRUE(xcodec::testing::ffmpeg_tone(good, 22050, 0.3, args));
    const std::string bytes = xcodec::testing::read_bytes(good);
    for (int k = 0; k < 12; ++k) {
      std::string bad = bytes;
      const size_t span = k < 6 ? std::min<size_t>(bad.size(), 64) : bad.size();  // header first
      for (int flips = 0; flips < 1 + k % 4; ++flips) {
        bad[rng() % span] = static_cast<char>(rng() & 0xff);
      }
      if (k % 3 == 2) bad.resize(rng() % bad.size());
      const std::string path = (dir.path() / ("m" + std::to_string(k) + "_" + name)).string();
      xcodec::testing::write_bytes(path, bad);
      try {
        const Audio a = read_audio(path, 16000);
        EXPECT_EQ(a.sample_rate, 16000);
        for (const float v : a.samples) ASSERT_TRUE(std::isfinite(v)) << path;
        ++decoded;
      } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
        ++rejected;
      }
    }
  }
  EXPECT_EQ(decoded + rejected, 60);
}

// ---- writer --------------------------------------------------------------------------------

TEST(AudioWriter, RoundTripsAllFormatsAtomically) {
  TempDir dir;
  Audio a;
  a.sample_rate = 16000;
  a.samples = sine(16000, 0.25, 440.0, 0.7);
  for (const AudioFileFormat fmt : {kWav16, kWavFloat, kFlac16}) {
    const std::string path = (dir.path() / ("out" + file_extension(fmt))).string();
    write_audio(path, a, fmt);
    const Audio b = read_audio(path);
    ASSERT_EQ(b.sample_rate, 16000);
    ASSERT_EQ(b.samples.size(), a.samples.size());
    const double tol = fmt == kWavFloat ? 0.0 : 1.0 / 32768.0 + 1e-7;
    for (size_t i = 0; i < a.samples.size(); ++i) {
      ASSERT_NEAR(b.samples[i], a.samples[i], tol) << audio_file_format_name(fmt) << " at " << i;
    }
    const AudioInfo info = probe_audio(path);
    EXPECT_EQ(info.codec, fmt == kWav16 ? "pcm_s16le" : fmt == kWavFloat ? "pcm_f32le" : "flac");
  }
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) {
    EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();
    ++files;
  }
  EXPECT_EQ(files, 2u);  // out.wav (rewritten) and out.flac
}

TEST(AudioWriter, ClipsInsteadOfWrappingAndRejectsBadInput) {
  TempDir dir;
  const std::string path = (dir.path() / "clip.wav").string();
  write_audio(path, Audio{{1.5f, -1.5f, 0.25f}, 8000});
  const Audio b = read_audio(path);
  ASSERT_EQ(b.samples.size(), 3u);
  EXPECT_GT(b.samples[0], 0.999f);
  EXPECT_LE(b.samples[1], -0.999f);
  EXPECT_NEAR(b.samples[2], 0.25f, 1e-4);

  const std::string bad = (dir.path() / "bad.wav").string();
  expect_io_error([&] { write_audio(bad, Audio{{0.0f, NAN}, 8000}); }, {bad, "NaN/Inf"});
  expect_io_error([&] { write_audio(bad, Audio{{0.0f}, 0}); }, {bad, "sample rate"});
  EXPECT_FALSE(fs::exists(bad));
  expect_io_error([&] { write_audio((dir.path() / "no/such/dir/x.wav").string(), b); },
                  {"no/such/dir"});
  EXPECT_EQ(parse_audio_file_format("flac"), kFlac16);
  EXPECT_THROW(parse_audio_file_format("mp3"), ConfigError);
}

}  // namespace
}  // namespace xcodec::audio
