#pragma once
// Test helpers for audio: generate files with ffmpeg/sox, craft broken ones, measure tones.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace xcodec::testing {

/// Single-quotes `s` for /bin/sh.
inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

/// Runs ffmpeg with `args` (source + encoder options) writing `path`; fails the test on error.
/// The source is a stereo 1 kHz tone: left amplitude 0.5, right 0.25, `seconds` long at `rate`.
inline bool ffmpeg_tone(const std::string& path, int rate, double seconds,
                        const std::string& encoder_args, int channels = 2) {
  std::string expr =
      channels == 1 ? "0.5*sin(2*PI*1000*t)" : "0.5*sin(2*PI*1000*t)|0.25*sin(2*PI*1000*t)";
  const std::string cmd =
      "ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "
      "'aevalsrc=" +
      expr + ":s=" + std::to_string(rate) + ":d=" + std::to_string(seconds) + "' " + encoder_args +
      " " + shell_quote(path);
  std::string out;
  const int rc = run_command(cmd, &out);
  EXPECT_EQ(rc, 0) << cmd << "\n" << out;
  return rc == 0;
}

/// Writes raw bytes to `path`.
inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// Reads a whole file as bytes.
inline std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

/// A canonical 44-byte WAV header (PCM or IEEE float) followed by `data`.
inline std::string wav_bytes(int format_tag, int channels, int rate, int bits,
                             const std::string& data) {
  auto u32 = [](uint32_t v) {
    return std::string{static_cast<char>(v & 0xff), static_cast<char>((v >> 8) & 0xff),
                       static_cast<char>((v >> 16) & 0xff), static_cast<char>((v >> 24) & 0xff)};
  };
  auto u16 = [](uint16_t v) {
    return std::string{static_cast<char>(v & 0xff), static_cast<char>((v >> 8) & 0xff)};
  };
  const int block = channels * bits / 8;
  std::string h = "RIFF" + u32(static_cast<uint32_t>(36 + data.size())) + "WAVE";
  h += "fmt " + u32(16) + u16(static_cast<uint16_t>(format_tag)) +
       u16(static_cast<uint16_t>(channels)) + u32(static_cast<uint32_t>(rate)) +
       u32(static_cast<uint32_t>(rate * block)) + u16(static_cast<uint16_t>(block)) +
       u16(static_cast<uint16_t>(bits));
  h += "data" + u32(static_cast<uint32_t>(data.size()));
  return h + data;
}

/// Float samples as little-endian bytes.
inline std::string float_bytes(const std::vector<float>& x) {
  return std::string(reinterpret_cast<const char*>(x.data()), x.size() * sizeof(float));
}

/// Amplitude of the `freq` component of `x` (single-bin DFT), over the middle 80% of x.
inline double tone_amplitude(const std::vector<float>& x, int rate, double freq) {
  const size_t a = x.size() / 10;
  const size_t b = x.size() - a;
  double re = 0.0;
  double im = 0.0;
  for (size_t i = a; i < b; ++i) {
    const double ph = 2.0 * M_PI * freq * static_cast<double>(i) / rate;
    re += x[i] * std::cos(ph);
    im += x[i] * std::sin(ph);
  }
  return 2.0 * std::sqrt(re * re + im * im) / static_cast<double>(b - a);
}

/// Frequency estimated from upward zero crossings over the middle 80% of x.
inline double zero_crossing_frequency(const std::vector<float>& x, int rate) {
  const size_t a = x.size() / 10;
  const size_t b = x.size() - a;
  size_t first = 0;
  size_t last = 0;
  int crossings = 0;
  for (size_t i = a + 1; i < b; ++i) {
    if (x[i - 1] < 0.0f && x[i] >= 0.0f) {
      if (crossings == 0) first = i;
      last = i;
      ++crossings;
    }
  }
  if (crossings < 2) return 0.0;
  return static_cast<double>(crossings - 1) * rate / static_cast<double>(last - first);
}

}  // namespace xcodec::testing
