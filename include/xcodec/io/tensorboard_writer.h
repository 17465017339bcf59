#pragma once
/// TensorBoard event files written directly (TFRecord framing + hand-encoded Event protobufs),
/// so training logs open in TensorBoard without any TensorFlow/protobuf dependency.
/// Supports scalars and audio clips (embedded as 16-bit PCM WAV).
#include <cstdint>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

namespace xcodec::io {

class TensorBoardWriter {
 public:
  /// Creates `dir` if needed and opens `events.out.tfevents.<time>.<host>.<pid>` in it.
  explicit TensorBoardWriter(const std::string& dir);
  const std::string& path() const { return path_; }
  void add_scalar(const std::string& tag, double value, int64_t step);
  /// `samples` mono in [-1, 1] (clipped), `sample_rate` in Hz.
  void add_audio(const std::string& tag, const std::vector<float>& samples, int sample_rate,
                 int64_t step);
  void flush();

 private:
  void write_event(const std::string& event);
  std::string path_;
  std::ofstream out_;
  std::mutex mutex_;
};

/// CRC-32C (Castagnoli), as TFRecord framing uses.
uint32_t crc32c(const void* data, size_t size);
/// 16-bit PCM mono WAV image of `samples` (clipped to [-1, 1]).
std::string wav_bytes(const std::vector<float>& samples, int sample_rate);

}  // namespace xcodec::io
