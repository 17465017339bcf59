#pragma once
/// Short-time Fourier transform helpers shared by the losses and the spectral discriminator.
/// Conventions follow torch.stft / torchaudio.transforms.Spectrogram: frames are centred
/// (the signal is padded by n_fft/2 on both sides, reflect mode by default), the window is a
/// periodic Hann of `win_length` samples (zero-padded to n_fft in the middle), one-sided output.
#include <torch/types.h>

#include <cstdint>
#include <string>

namespace xcodec::audio {

/// Parameters of one STFT resolution.
struct StftOptions {
  int64_t n_fft = 1024;              ///< FFT size, samples
  int64_t hop_length = 256;          ///< frame shift, samples
  int64_t win_length = 1024;         ///< window length, samples (<= n_fft)
  bool center = true;                ///< pad n_fft/2 on both sides so frame t is centred on t*hop
  std::string pad_mode = "reflect";  ///< "reflect" or "constant" (zeros), used when center
  bool normalized = false;           ///< multiply by 1/sqrt(n_fft) (torch.stft `normalized`)

  /// Throws ConfigError naming the field when a value is out of range.
  void validate() const;
  /// Number of one-sided frequency bins, n_fft/2 + 1.
  int64_t num_bins() const { return n_fft / 2 + 1; }
  /// Number of frames produced for a signal of `num_samples` samples.
  int64_t num_frames(int64_t num_samples) const;
};

/// Periodic Hann window of `length` samples (torch.hann_window(length, periodic=True)).
torch::Tensor hann_window(int64_t length, const torch::TensorOptions& options = {});

/// Complex one-sided STFT. `signal` is [T] or [B, T] (float32/float64, any device);
/// returns complex [B, n_fft/2+1, frames] (or [n_fft/2+1, frames] for 1-D input).
/// `window` defaults to a periodic Hann of `win_length` on the signal's device and dtype.
/// float16/bfloat16 signals are transformed in float32 (the result is complex float32).
torch::Tensor stft(const torch::Tensor& signal, const StftOptions& options,
                   const torch::Tensor& window = {});

/// Magnitude spectrogram |STFT|^power, [B, F, frames]. power 1 gives the magnitude, 2 the power.
torch::Tensor magnitude_spectrogram(const torch::Tensor& signal, const StftOptions& options,
                                    double power = 1.0, const torch::Tensor& window = {});

/// Magnitude sqrt(clamp(re^2 + im^2, min_power, max_power)) transposed to [B, frames, F], as
/// the spectral discriminator and the multi-resolution STFT loss of the original code compute
/// it (clamps 1e-7 and 1e3 there; max_power <= 0 disables the upper clamp).
torch::Tensor clamped_magnitude(const torch::Tensor& signal, const StftOptions& options,
                                double min_power = 1e-7, double max_power = 1e3,
                                const torch::Tensor& window = {});

}  // namespace xcodec::audio
