#pragma once
/// Sample-rate conversion with soxr.
#include <vector>

namespace xcodec::audio {

/// Resamples mono `x` from `from_rate` to `to_rate` Hz with soxr at high quality (SOXR_HQ:
/// 20-bit precision, linear phase, passband to 91.3% of Nyquist). The output has
/// round(x.size() * to_rate / from_rate) samples and is time-aligned with the input. Returns
/// `x` unchanged when the rates are equal. Throws ConfigError for non-positive rates and
/// IoError when soxr fails.
std::vector<float> resample(const std::vector<float>& x, int from_rate, int to_rate);

}  // namespace xcodec::audio
