#include "xcodec/io/tensorboard_writer.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "xcodec/core/error.h"

namespace xcodec::io {
namespace {

// Minimal protobuf wire-format encoding (varints, fixed64/32, length-delimited fields).
void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}
void put_tag(std::string& out, int field, int wire_type) {
  put_varint(out, (field << 3) | wire_type);
}
void put_bytes(std::string& out, int field, const std::string& bytes) {
  put_tag(out, field, 2);
  put_varint(out, bytes.size());
  out += bytes;
}
void put_double(std::string& out, int field, double v) {
  put_tag(out, field, 1);
  char b[8];
  std::memcpy(b, &v, 8);
  out.append(b, 8);
}
void put_float(std::string& out, int field, float v) {
  put_tag(out, field, 5);
  char b[4];
  std::memcpy(b, &v, 4);
  out.append(b, 4);
}
void put_int(std::string& out, int field, int64_t v) {
  put_tag(out, field, 0);
  put_varint(out, static_cast<uint64_t>(v));
}

uint32_t masked_crc(const void* data, size_t size) {
  const uint32_t crc = crc32c(data, size);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

double now_seconds() {
  using namespace std::chrono;
  return duration_cast<duration<double>>(system_clock::now().time_since_epoch()).count();
}

// Event { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
std::string event_header(int64_t step) {
  std::string e;
  put_double(e, 1, now_seconds());
  put_int(e, 2, step);
  return e;
}

}  // namespace

uint32_t crc32c(const void* data, size_t size) {
  static const auto table = [] {
    std::vector<uint32_t> t(256);
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xffffffffu;
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return crc ^ 0xffffffffu;
}

std::string wav_bytes(const std::vector<float>& samples, int sample_rate) {
  auto u32 = [](std::string& s, uint32_t v) {
    for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  };
  auto u16 = [](std::string& s, uint16_t v) {
    s += static_cast<char>(v & 0xff);
    s += static_cast<char>(v >> 8);
  };
  const uint32_t data_bytes = static_cast<uint32_t>(samples.size() * 2);
  std::string w = "RIFF";
  u32(w, 36 + data_bytes);
  w += "WAVEfmt ";
  u32(w, 16);
  u16(w, 1);  // PCM
  u16(w, 1);  // mono
  u32(w, static_cast<uint32_t>(sample_rate));
  u32(w, static_cast<uint32_t>(sample_rate) * 2);
  u16(w, 2);
  u16(w, 16);
  w += "data";
  u32(w, data_bytes);
  for (float x : samples) {
    const float c = std::isfinite(x) ? std::clamp(x, -1.0f, 1.0f) : 0.0f;
    u16(w, static_cast<uint16_t>(static_cast<int16_t>(std::lround(c * 32767.0f))));
  }
  return w;
}

TensorBoardWriter::TensorBoardWriter(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  char host[256] = "localhost";
  ::gethostname(host, sizeof(host) - 1);
  path_ = (std::filesystem::path(dir) /
           ("events.out.tfevents." + std::to_string(static_cast<int64_t>(now_seconds())) + "." +
            host + "." + std::to_string(::getpid())))
              .string();
  out_.open(path_, std::ios::binary | std::ios::app);
  if (!out_) throw IoError("cannot create TensorBoard event file '" + path_ + "'");
  std::string e = event_header(0);
  put_bytes(e, 3, "brain.Event:2");
  write_event(e);
  flush();
}

void TensorBoardWriter::write_event(const std::string& event) {
  std::lock_guard<std::mutex> lock(mutex_);
  char len[8];
  const uint64_t n = event.size();
  std::memcpy(len, &n, 8);
  const uint32_t len_crc = masked_crc(len, 8);
  const uint32_t data_crc = masked_crc(event.data(), event.size());
  out_.write(len, 8);
  out_.write(reinterpret_cast<const char*>(&len_crc), 4);
  out_.write(event.data(), static_cast<std::streamsize>(event.size()));
  out_.write(reinterpret_cast<const char*>(&data_crc), 4);
}

void TensorBoardWriter::add_scalar(const std::string& tag, double value, int64_t step) {
  // Summary { repeated Value value = 1; }  Value { string tag = 1; float simple_value = 2; }
  std::string v;
  put_bytes(v, 1, tag);
  put_float(v, 2, static_cast<float>(value));
  std::string summary;
  put_bytes(summary, 1, v);
  std::string e = event_header(step);
  put_bytes(e, 5, summary);
  write_event(e);
}

void TensorBoardWriter::add_audio(const std::string& tag, const std::vector<float>& samples,
                                  int sample_rate, int64_t step) {
  // Summary.Audio { float sample_rate = 1; int64 num_channels = 2; int64 length_frames = 3;
  //                 bytes encoded_audio_string = 4; string content_type = 5; }  (Value field 6)
  std::string audio;
  put_float(audio, 1, static_cast<float>(sample_rate));
  put_int(audio, 2, 1);
  put_int(audio, 3, static_cast<int64_t>(samples.size()));
  put_bytes(audio, 4, wav_bytes(samples, sample_rate));
  put_bytes(audio, 5, "audio/wav");
  std::string v;
  put_bytes(v, 1, tag);
  put_bytes(v, 6, audio);
  std::string summary;
  put_bytes(summary, 1, v);
  std::string e = event_header(step);
  put_bytes(e, 5, summary);
  write_event(e);
}

void TensorBoardWriter::flush() {
  std::lock_guard<std::mutex> lock(mutex_);
  out_.flush();
}

}  // namespace xcodec::io
