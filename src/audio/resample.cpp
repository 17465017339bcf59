#include "xcodec/audio/resample.h"

#include <soxr.h>

#include <string>

#include "xcodec/core/error.h"

namespace xcodec::audio {

std::vector<float> resample(const std::vector<float>& x, int from_rate, int to_rate) {
  if (from_rate <= 0 || to_rate <= 0) {
    throw ConfigError("resample: rates must be positive, got " + std::to_string(from_rate) +
                      " -> " + std::to_string(to_rate) + " Hz");
  }
  if (from_rate == to_rate || x.empty()) return x;
  // round(n * to / from) in integers, so the length never depends on float rounding.
  const auto n = static_cast<int64_t>(x.size());
  const int64_t out_len = (n * to_rate + from_rate / 2) / from_rate;
  std::vector<float> y(static_cast<size_t>(out_len));
  if (out_len == 0) return y;
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  const soxr_runtime_spec_t runtime = soxr_runtime_spec(1);
  size_t done = 0;
  // soxr_oneshot feeds all input, flushes the filter tail and writes at most out_len samples;
  // its output is aligned with the input (the filter delay is compensated).
  const soxr_error_t err = soxr_oneshot(from_rate, to_rate, 1, x.data(), x.size(), nullptr,
                                        y.data(), y.size(), &done, &io, &quality, &runtime);
  if (err != nullptr) {
    throw IoError(std::string("soxr resampling failed: ") + err);
  }
  y.resize(done);
  // soxr may deliver one sample short of the rounded length; pad with the last value's
  // neighbour (silence) so lengths are exactly predictable.
  y.resize(static_cast<size_t>(out_len), 0.0f);
  return y;
}

}  // namespace xcodec::audio
