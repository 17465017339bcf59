#include "xcodec/eval/metrics/stoi.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>

#include "eval/metrics/metrics_fft.h"
#include "xcodec/core/error.h"
#include "xcodec/core/logging.h"

namespace xcodec::eval {
namespace {

using C = StoiConstants;
constexpr double kEps = std::numeric_limits<double>::epsilon();  // pystoi EPS = np.finfo(float).eps
constexpr double kPi = 3.14159265358979323846;

int64_t gcd64(int64_t a, int64_t b) { return b == 0 ? a : gcd64(b, a % b); }

// numpy.sinc: sin(πx)/(πx), with x = 0 replaced by 1e-20.
double np_sinc(double x) {
  const double y = kPi * (x == 0.0 ? 1.0e-20 : x);
  return std::sin(y) / y;
}

// Modified Bessel function of the first kind, order 0 (power series; converges for all x).
double bessel_i0(double x) {
  const double q = x * x / 4.0;
  double term = 1.0, sum = 1.0;
  for (int k = 1; k < 500; ++k) {
    term *= q / (static_cast<double>(k) * k);
    sum += term;
    if (term < sum * 1e-18) break;
  }
  return sum;
}

// The frames of pystoi: starts 0, hop, 2·hop, ... while start < length - frame_length.
int count_frames(int64_t length) {
  if (length <= C::kFrameLength) return 0;
  return static_cast<int>((length - C::kFrameLength + C::kHop - 1) / C::kHop);
}

void check_inputs(SampleSpan clean, SampleSpan degraded, int sample_rate) {
  if (sample_rate <= 0)
    throw ConfigError("STOI: sample rate must be positive, got " + std::to_string(sample_rate));
  if (clean.size() != degraded.size()) {
    std::ostringstream msg;
    msg << "STOI: clean and degraded signals differ in length (" << clean.size() << " vs "
        << degraded.size() << " samples)";
    throw ShapeError(msg.str());
  }
}

// Band values sqrt(sum_k |X_k|^2) of every STFT frame: returns [bands][frames].
std::vector<std::vector<double>> third_octave_spectrogram(
    const std::vector<double>& signal, const std::vector<double>& window,
    const std::vector<std::pair<int, int>>& bands, const detail::Fft& fft) {
  const int frames = count_frames(static_cast<int64_t>(signal.size()));
  std::vector<std::vector<double>> out(bands.size(), std::vector<double>(frames));
  std::vector<double> buffer(C::kFftSize, 0.0), power(C::kFftSize / 2 + 1);
  for (int f = 0; f < frames; ++f) {
    const double* src = signal.data() + static_cast<size_t>(f) * C::kHop;
    for (int i = 0; i < C::kFrameLength; ++i) buffer[i] = window[i] * src[i];
    fft.power_spectrum(buffer.data(), power.data());
    for (size_t b = 0; b < bands.size(); ++b) {
      double sum = 0.0;
      for (int k = bands[b].first; k < bands[b].second; ++k) sum += power[k];
      out[b][f] = std::sqrt(sum);
    }
  }
  return out;
}

double vector_norm(const double* v, int n) {
  double s = 0.0;
  for (int i = 0; i < n; ++i) s += v[i] * v[i];
  return std::sqrt(s);
}

// Classic STOI: mean over (segment, band) of the correlation of the clipped, normalised
// degraded envelope with the clean one.
double stoi_from_bands(const std::vector<std::vector<double>>& xb,
                       const std::vector<std::vector<double>>& yb, int segments) {
  constexpr int n = C::kSegmentFrames;
  const double clip = 1.0 + std::pow(10.0, -C::kBetaDb / 20.0);
  double total = 0.0;
  double x[n], y[n];
  for (int j = 0; j < segments; ++j) {
    for (size_t b = 0; b < xb.size(); ++b) {
      std::copy_n(xb[b].data() + j, n, x);
      std::copy_n(yb[b].data() + j, n, y);
      const double alpha = vector_norm(x, n) / (vector_norm(y, n) + kEps);
      for (int i = 0; i < n; ++i) y[i] = std::min(y[i] * alpha, x[i] * clip);
      const double mean_y = std::accumulate(y, y + n, 0.0) / n;
      const double mean_x = std::accumulate(x, x + n, 0.0) / n;
      for (int i = 0; i < n; ++i) {
        y[i] -= mean_y;
        x[i] -= mean_x;
      }
      const double ny = vector_norm(y, n) + kEps;
      const double nx = vector_norm(x, n) + kEps;
      double d = 0.0;
      for (int i = 0; i < n; ++i) d += (y[i] / ny) * (x[i] / nx);
      total += d;
    }
  }
  return total / (static_cast<double>(segments) * xb.size());
}

// pystoi utils.row_col_normalize on one [bands][30] segment, in place (row-major).
void row_col_normalize(std::vector<double>& m, int bands, std::mt19937_64& rng) {
  constexpr int n = C::kSegmentFrames;
  std::normal_distribution<double> normal(0.0, 1.0);
  for (double& v : m) v += kEps * normal(rng);
  for (int b = 0; b < bands; ++b) {
    double* row = m.data() + static_cast<size_t>(b) * n;
    const double mean = std::accumulate(row, row + n, 0.0) / n;
    for (int i = 0; i < n; ++i) row[i] -= mean;
    const double inv = 1.0 / vector_norm(row, n);
    for (int i = 0; i < n; ++i) row[i] *= inv;
  }
  for (double& v : m) v += kEps * normal(rng);
  for (int i = 0; i < n; ++i) {
    double mean = 0.0;
    for (int b = 0; b < bands; ++b) mean += m[static_cast<size_t>(b) * n + i];
    mean /= bands;
    double sq = 0.0;
    for (int b = 0; b < bands; ++b) {
      double& v = m[static_cast<size_t>(b) * n + i];
      v -= mean;
      sq += v * v;
    }
    const double inv = 1.0 / std::sqrt(sq);
    for (int b = 0; b < bands; ++b) m[static_cast<size_t>(b) * n + i] *= inv;
  }
}

double estoi_from_bands(const std::vector<std::vector<double>>& xb,
                        const std::vector<std::vector<double>>& yb, int segments) {
  constexpr int n = C::kSegmentFrames;
  const int bands = static_cast<int>(xb.size());
  std::mt19937_64 rng(0);  // fixed seed: deterministic stand-in for pystoi's global-RNG noise
  std::vector<double> x(static_cast<size_t>(bands) * n), y(x.size());
  double total = 0.0;
  for (int j = 0; j < segments; ++j) {
    for (int b = 0; b < bands; ++b) {
      std::copy_n(xb[b].data() + j, n, x.data() + static_cast<size_t>(b) * n);
      std::copy_n(yb[b].data() + j, n, y.data() + static_cast<size_t>(b) * n);
    }
    row_col_normalize(x, bands, rng);
    row_col_normalize(y, bands, rng);
    double d = 0.0;
    for (size_t i = 0; i < x.size(); ++i) d += x[i] * y[i] / n;
    total += d;
  }
  return total / segments;
}

}  // namespace

std::vector<double> stoi_resample_filter(int up, int down) {
  if (up <= 0 || down <= 0)
    throw ConfigError("STOI resampler: up/down must be positive, got " + std::to_string(up) + "/" +
                      std::to_string(down));
  const int64_t g = gcd64(up, down);
  const int64_t p = up / g, q = down / g;
  constexpr double log10_rejection = -3.0;
  const double stopband_cutoff = 1.0 / (2.0 * static_cast<double>(std::max(p, q)));
  const double roll_off_width = stopband_cutoff / 10.0;
  const double rejection_db = -20.0 * log10_rejection;
  const int64_t half_len =
      static_cast<int64_t>(std::ceil((rejection_db - 8.0) / (28.714 * roll_off_width)));
  const double beta = 0.1102 * (rejection_db - 8.7);  // rejection_db > 50
  const int64_t taps = 2 * half_len + 1;
  std::vector<double> h(taps);
  const double alpha = (taps - 1) / 2.0;
  const double i0_beta = bessel_i0(beta);
  double sum = 0.0;
  for (int64_t i = 0; i < taps; ++i) {
    const double t = static_cast<double>(i - half_len);
    const double ideal =
        2.0 * static_cast<double>(p) * stopband_cutoff * np_sinc(2.0 * stopband_cutoff * t);
    const double r = (static_cast<double>(i) - alpha) / alpha;
    const double kaiser = bessel_i0(beta * std::sqrt(std::max(0.0, 1.0 - r * r))) / i0_beta;
    h[i] = kaiser * ideal;
    sum += h[i];
  }
  for (double& v : h) v /= sum;
  return h;
}

std::vector<double> stoi_resample(const std::vector<double>& signal, int from_rate, int to_rate) {
  if (from_rate <= 0 || to_rate <= 0)
    throw ConfigError("STOI resampler: rates must be positive, got " + std::to_string(from_rate) +
                      " -> " + std::to_string(to_rate));
  if (from_rate == to_rate) return signal;
  const int64_t g = gcd64(to_rate, from_rate);
  const int64_t p = to_rate / g, q = from_rate / g;
  std::vector<double> h = stoi_resample_filter(static_cast<int>(p), static_cast<int>(q));
  for (double& v : h) v *= static_cast<double>(p);  // scipy: h *= up
  const int64_t half_len = (static_cast<int64_t>(h.size()) - 1) / 2;
  const int64_t n_in = static_cast<int64_t>(signal.size());
  const int64_t n_out = (n_in * p + q - 1) / q;
  std::vector<double> out(n_out);
  for (int64_t m = 0; m < n_out; ++m) {
    // y[m] = sum_n x[n] h[m q + L - n p], with 0 <= m q + L - n p <= 2L.
    const int64_t base = m * q + half_len;
    int64_t n_lo = base - 2 * half_len <= 0 ? 0 : (base - 2 * half_len + p - 1) / p;
    int64_t n_hi = std::min(n_in - 1, base / p);
    double acc = 0.0;
    for (int64_t n = n_lo; n <= n_hi; ++n) acc += signal[n] * h[base - n * p];
    out[m] = acc;
  }
  return out;
}

std::vector<std::pair<int, int>> stoi_third_octave_bins() {
  const int n_bins = C::kFftSize / 2 + 1;
  const double step = static_cast<double>(C::kSampleRate) / C::kFftSize;
  auto nearest_bin = [&](double freq) {
    int best = 0;
    double best_d = std::numeric_limits<double>::infinity();
    for (int k = 0; k < n_bins; ++k) {
      const double d = (k * step - freq) * (k * step - freq);
      if (d < best_d) {
        best_d = d;
        best = k;
      }
    }
    return best;
  };
  std::vector<std::pair<int, int>> bands;
  for (int i = 0; i < C::kNumBands; ++i) {
    const double low = C::kMinFreqHz * std::pow(2.0, (2.0 * i - 1.0) / 6.0);
    const double high = C::kMinFreqHz * std::pow(2.0, (2.0 * i + 1.0) / 6.0);
    bands.emplace_back(nearest_bin(low), nearest_bin(high));
  }
  return bands;
}

StoiDetails stoi_details(SampleSpan clean, SampleSpan degraded, int sample_rate, bool extended) {
  check_inputs(clean, degraded, sample_rate);
  StoiDetails details;
  for (size_t i = 0; i < clean.size(); ++i) {
    if (!std::isfinite(clean[i]) || !std::isfinite(degraded[i])) {
      XCODEC_LOG_WARN("[eval] " << (extended ? "ESTOI" : "STOI") << ": non-finite sample at index "
                                << i << "; result is NaN");
      details.value = std::numeric_limits<double>::quiet_NaN();
      return details;
    }
  }
  const std::vector<double> x =
      stoi_resample(detail::to_double(clean.data(), clean.size()), sample_rate, C::kSampleRate);
  const std::vector<double> y = stoi_resample(detail::to_double(degraded.data(), degraded.size()),
                                              sample_rate, C::kSampleRate);
  details.samples_10k = static_cast<int64_t>(x.size());
  const int frames = count_frames(details.samples_10k);
  details.frames_total = frames;
  if (frames == 0) {
    std::ostringstream msg;
    msg << "STOI: signal of " << clean.size() << " samples at " << sample_rate
        << " Hz is shorter than one " << C::kFrameLength << "-sample frame at 10 kHz";
    throw ShapeError(msg.str());
  }

  // Silent-frame removal, decided on the clean signal.
  const std::vector<double> window =
      detail::make_window(detail::WindowKind::kHannSymmetric, C::kFrameLength);
  std::vector<double> energy(frames);
  for (int f = 0; f < frames; ++f) {
    double sq = 0.0;
    for (int i = 0; i < C::kFrameLength; ++i) {
      const double v = window[i] * x[static_cast<size_t>(f) * C::kHop + i];
      sq += v * v;
    }
    energy[f] = 20.0 * std::log10(std::sqrt(sq) + kEps);
  }
  const double threshold = *std::max_element(energy.begin(), energy.end()) - C::kDynRangeDb;
  std::vector<int> kept;
  for (int f = 0; f < frames; ++f)
    if (threshold - energy[f] < 0.0) kept.push_back(f);
  details.frames_kept = static_cast<int>(kept.size());
  for (size_t i = 0; i < kept.size(); ++i) {
    if (i == 0 || kept[i] != kept[i - 1] + 1)
      details.kept_runs.emplace_back(kept[i], kept[i] + 1);
    else
      details.kept_runs.back().second = kept[i] + 1;
  }
  const size_t short_len = static_cast<size_t>(C::kHop) * (kept.size() - 1) + C::kFrameLength;
  std::vector<double> xs(short_len, 0.0), ys(short_len, 0.0);
  for (size_t r = 0; r < kept.size(); ++r) {
    const size_t src = static_cast<size_t>(kept[r]) * C::kHop, dst = r * C::kHop;
    for (int i = 0; i < C::kFrameLength; ++i) {
      xs[dst + i] += window[i] * x[src + i];
      ys[dst + i] += window[i] * y[src + i];
    }
  }
  details.samples_after_removal = static_cast<int64_t>(short_len);

  // One-third-octave band envelopes of both shortened signals.
  const detail::Fft fft(C::kFftSize);
  const auto bands = stoi_third_octave_bins();
  const auto xb = third_octave_spectrogram(xs, window, bands, fft);
  const auto yb = third_octave_spectrogram(ys, window, bands, fft);
  details.stft_frames = count_frames(static_cast<int64_t>(short_len));
  if (details.stft_frames < C::kSegmentFrames) {
    XCODEC_LOG_WARN("[eval] " << (extended ? "ESTOI" : "STOI") << ": only " << details.stft_frames
                              << " non-silent frames (need " << C::kSegmentFrames << "); returning "
                              << C::kTooShortValue << " as pystoi does");
    details.value = C::kTooShortValue;
    return details;
  }
  details.segments = details.stft_frames - C::kSegmentFrames + 1;
  details.value = extended ? estoi_from_bands(xb, yb, details.segments)
                           : stoi_from_bands(xb, yb, details.segments);
  return details;
}

double stoi(SampleSpan clean, SampleSpan degraded, int sample_rate) {
  return stoi_details(clean, degraded, sample_rate, /*extended=*/false).value;
}

double estoi(SampleSpan clean, SampleSpan degraded, int sample_rate) {
  return stoi_details(clean, degraded, sample_rate, /*extended=*/true).value;
}

}  // namespace xcodec::eval
