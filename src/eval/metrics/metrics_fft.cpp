#include "eval/metrics/metrics_fft.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "xcodec/core/error.h"

namespace xcodec::eval::detail {
namespace {
constexpr double kPi = 3.14159265358979323846;
}  // namespace

Fft::Fft(int size) : size_(size) {
  if (size < 2 || (size & (size - 1)) != 0) {
    std::ostringstream msg;
    msg << "FFT size must be a power of two >= 2, got " << size;
    throw ConfigError(msg.str());
  }
  twiddles_.resize(size / 2);
  for (int k = 0; k < size / 2; ++k) {
    const double angle = -2.0 * kPi * k / size;
    twiddles_[k] = {std::cos(angle), std::sin(angle)};
  }
  int bits = 0;
  while ((1 << bits) < size) ++bits;
  bit_reverse_.resize(size);
  for (int i = 0; i < size; ++i) {
    int r = 0;
    for (int b = 0; b < bits; ++b)
      if (i & (1 << b)) r |= 1 << (bits - 1 - b);
    bit_reverse_[i] = r;
  }
  scratch_.resize(size);
}

void Fft::forward(std::complex<double>* data) const {
  for (int i = 0; i < size_; ++i) {
    const int j = bit_reverse_[i];
    if (j > i) std::swap(data[i], data[j]);
  }
  for (int len = 2; len <= size_; len <<= 1) {
    const int half = len / 2;
    const int stride = size_ / len;
    for (int start = 0; start < size_; start += len) {
      for (int k = 0; k < half; ++k) {
        // Written out: std::complex's operator* calls __muldc3 (inf/NaN rules) without
        // -ffast-math, several times slower.
        const double wr = twiddles_[k * stride].real(), wi = twiddles_[k * stride].imag();
        const double xr = data[start + k + half].real(), xi = data[start + k + half].imag();
        const double tr = wr * xr - wi * xi, ti = wr * xi + wi * xr;
        const double ur = data[start + k].real(), ui = data[start + k].imag();
        data[start + k] = {ur + tr, ui + ti};
        data[start + k + half] = {ur - tr, ui - ti};
      }
    }
  }
}

void Fft::power_spectrum(const double* real_in, double* power_out) const {
  for (int i = 0; i < size_; ++i) scratch_[i] = {real_in[i], 0.0};
  forward(scratch_.data());
  for (int k = 0; k <= size_ / 2; ++k) power_out[k] = std::norm(scratch_[k]);
}

std::vector<double> make_window(WindowKind kind, int length) {
  std::vector<double> w(length);
  for (int n = 0; n < length; ++n) {
    switch (kind) {
      case WindowKind::kHannPeriodic:
        w[n] = 0.5 - 0.5 * std::cos(2.0 * kPi * n / length);
        break;
      case WindowKind::kHannSymmetric:
        w[n] = 0.5 - 0.5 * std::cos(2.0 * kPi * (n + 1) / (length + 1));
        break;
    }
  }
  return w;
}

Spectrogram spectrogram(const std::vector<double>& signal, int n_fft, int hop,
                        const std::vector<double>& window, bool center, int power) {
  const Fft fft(n_fft);
  if (hop <= 0) throw ConfigError("STFT hop must be positive, got " + std::to_string(hop));
  if (static_cast<int>(window.size()) != n_fft)
    throw ConfigError("STFT window length " + std::to_string(window.size()) +
                      " differs from n_fft " + std::to_string(n_fft));
  std::vector<double> padded;
  const std::vector<double>* x = &signal;
  if (center) {
    const int pad = n_fft / 2;
    const long n = static_cast<long>(signal.size());
    if (n <= pad) {
      std::ostringstream msg;
      msg << "signal of " << n << " samples is too short for a centred STFT with n_fft " << n_fft
          << " (reflect padding needs more than " << pad << " samples)";
      throw ShapeError(msg.str());
    }
    padded.resize(n + 2 * pad);
    for (long i = 0; i < static_cast<long>(padded.size()); ++i) {
      long j = i - pad;
      if (j < 0) j = -j;
      if (j >= n) j = 2 * (n - 1) - j;
      padded[i] = signal[j];
    }
    x = &padded;
  }
  Spectrogram out;
  out.bins = n_fft / 2 + 1;
  const long len = static_cast<long>(x->size());
  out.frames = len < n_fft ? 0 : static_cast<int>((len - n_fft) / hop + 1);
  out.values.resize(static_cast<size_t>(out.frames) * out.bins);
  std::vector<double> frame(n_fft);
  for (int f = 0; f < out.frames; ++f) {
    const double* src = x->data() + static_cast<size_t>(f) * hop;
    for (int i = 0; i < n_fft; ++i) frame[i] = src[i] * window[i];
    double* dst = out.values.data() + static_cast<size_t>(f) * out.bins;
    fft.power_spectrum(frame.data(), dst);
    if (power == 1)
      for (int k = 0; k < out.bins; ++k) dst[k] = std::sqrt(dst[k]);
  }
  return out;
}

namespace {
// Slaney's mel scale (librosa / torchaudio mel_scale="slaney").
constexpr double kMinLogHz = 1000.0;
constexpr double kLinearStep = 200.0 / 3.0;
constexpr double kMinLogMel = kMinLogHz / kLinearStep;
double log_step() { return std::log(6.4) / 27.0; }
double hz_to_mel(double hz) {
  if (hz >= kMinLogHz) return kMinLogMel + std::log(hz / kMinLogHz) / log_step();
  return hz / kLinearStep;
}
double mel_to_hz(double mel) {
  if (mel >= kMinLogMel) return kMinLogHz * std::exp(log_step() * (mel - kMinLogMel));
  return kLinearStep * mel;
}
// torch.linspace(start, end, steps)[i] (float64: start + i*step for the first half, end -
// (steps-1-i)*step for the rest)
double linspace_at(double start, double end, int steps, int i) {
  if (steps == 1) return start;
  const double step = (end - start) / (steps - 1);
  return i < steps / 2 ? start + step * i : end - step * (steps - 1 - i);
}
}  // namespace

std::vector<double> slaney_mel_filterbank(int n_freqs, int n_mels, int sample_rate, double f_max) {
  std::vector<double> all_freqs(n_freqs);
  for (int i = 0; i < n_freqs; ++i) all_freqs[i] = linspace_at(0.0, sample_rate / 2, n_freqs, i);
  const double m_min = hz_to_mel(0.0);
  const double m_max = hz_to_mel(f_max);
  std::vector<double> f_pts(n_mels + 2);
  for (int i = 0; i < n_mels + 2; ++i)
    f_pts[i] = mel_to_hz(linspace_at(m_min, m_max, n_mels + 2, i));
  std::vector<double> fb(static_cast<size_t>(n_freqs) * n_mels);
  for (int f = 0; f < n_freqs; ++f) {
    for (int m = 0; m < n_mels; ++m) {
      const double down = -(f_pts[m] - all_freqs[f]) / (f_pts[m + 1] - f_pts[m]);
      const double up = (f_pts[m + 2] - all_freqs[f]) / (f_pts[m + 2] - f_pts[m + 1]);
      const double tri = std::max(0.0, std::min(down, up));
      fb[static_cast<size_t>(f) * n_mels + m] = tri * (2.0 / (f_pts[m + 2] - f_pts[m]));
    }
  }
  return fb;
}

std::vector<double> to_double(const float* data, size_t size) {
  return std::vector<double>(data, data + size);
}

}  // namespace xcodec::eval::detail
