#pragma once
// Private FFT / STFT / filterbank helpers of the evaluation metrics (float64 throughout).
// Kept inside src/eval/metrics/ so they cannot clash with the training code's STFT.
#include <complex>
#include <cstddef>
#include <vector>

namespace xcodec::eval::detail {

/// A radix-2 complex FFT of a fixed power-of-two size, reused across frames.
class Fft {
 public:
  /// `size` must be a power of two >= 2; throws ConfigError otherwise.
  explicit Fft(int size);
  int size() const { return size_; }
  /// In-place forward transform of `size()` complex values (no scaling).
  void forward(std::complex<double>* data) const;
  /// Power spectrum |X_k|^2, k = 0..size/2, of `size()` real values (zero-padded by the caller).
  void power_spectrum(const double* real_in, double* power_out) const;

 private:
  int size_;
  std::vector<std::complex<double>> twiddles_;  // exp(-2πik/size), k < size/2
  std::vector<int> bit_reverse_;
  mutable std::vector<std::complex<double>> scratch_;
};

/// Window shapes used by the metrics.
enum class WindowKind {
  kHannPeriodic,   // 0.5 - 0.5 cos(2πn/N)          (torch.hann_window)
  kHannSymmetric,  // 0.5 - 0.5 cos(2π(n+1)/(N+1))  (MATLAB hanning(N), no zero end points)
};
std::vector<double> make_window(WindowKind kind, int length);

/// Magnitude (power = 1) or power (power = 2) spectrogram, torch.stft conventions:
/// frames of `n_fft` samples at `hop`, window of `n_fft` samples, optionally centred with
/// reflect padding of n_fft/2 on both sides. Returns [frames][n_fft/2 + 1], row-major.
struct Spectrogram {
  int frames = 0;
  int bins = 0;
  std::vector<double> values;  // frames * bins
  double at(int frame, int bin) const { return values[static_cast<size_t>(frame) * bins + bin]; }
};
Spectrogram spectrogram(const std::vector<double>& signal, int n_fft, int hop,
                        const std::vector<double>& window, bool center, int power);

/// torchaudio.functional.melscale_fbanks(n_freqs, 0, f_max, n_mels, sample_rate,
/// norm="slaney", mel_scale="slaney") in float64: [n_freqs][n_mels], row-major.
std::vector<double> slaney_mel_filterbank(int n_freqs, int n_mels, int sample_rate, double f_max);

/// Float samples as float64.
std::vector<double> to_double(const float* data, size_t size);

}  // namespace xcodec::eval::detail
