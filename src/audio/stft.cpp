#include "xcodec/audio/stft.h"

#include <torch/torch.h>

#include "xcodec/core/error.h"

namespace xcodec::audio {

void StftOptions::validate() const {
  if (n_fft < 2) throw ConfigError("stft.n_fft must be >= 2, got " + std::to_string(n_fft));
  if (hop_length < 1)
    throw ConfigError("stft.hop_length must be >= 1, got " + std::to_string(hop_length));
  if (win_length < 1 || win_length > n_fft)
    throw ConfigError("stft.win_length must be in [1, n_fft=" + std::to_string(n_fft) + "], got " +
                      std::to_string(win_length));
  if (pad_mode != "reflect" && pad_mode != "constant")
    throw ConfigError("stft.pad_mode must be 'reflect' or 'constant', got '" + pad_mode + "'");
}

int64_t StftOptions::num_frames(int64_t num_samples) const {
  const int64_t padded = center ? num_samples + 2 * (n_fft / 2) : num_samples;
  return padded < n_fft ? 0 : 1 + (padded - n_fft) / hop_length;
}

torch::Tensor hann_window(int64_t length, const torch::TensorOptions& options) {
  return torch::hann_window(length, /*periodic=*/true, options);
}

torch::Tensor stft(const torch::Tensor& signal, const StftOptions& options,
                   const torch::Tensor& window) {
  options.validate();
  if (signal.dim() != 1 && signal.dim() != 2)
    throw ShapeError("stft: expected a signal [T] or [B, T], got " + c10::str(signal.sizes()));
  if (!signal.is_floating_point())
    throw ShapeError("stft: expected a floating-point signal, got " +
                     std::string(c10::toString(signal.scalar_type())));
  // FFTs of half-precision signals are unsupported or inaccurate: under autocast the generator
  // output may arrive as float16/bfloat16, so transform those in float32.
  if (signal.scalar_type() == torch::kHalf || signal.scalar_type() == torch::kBFloat16)
    return stft(signal.to(torch::kFloat32), options, window);
  const int64_t length = signal.size(-1);
  if (options.center && options.pad_mode == "reflect" && length <= options.n_fft / 2)
    throw ShapeError("stft: reflect padding by n_fft/2 = " + std::to_string(options.n_fft / 2) +
                     " needs more than that many samples, got " + std::to_string(length));
  const torch::Tensor win = window.defined() ? window.to(signal.device(), signal.scalar_type())
                                             : hann_window(options.win_length, signal.options());
  // The `center` overload exists in LibTorch 1.13 and 2.x alike (aten::stft.center).
  return torch::stft(signal, options.n_fft, options.hop_length, options.win_length, win,
                     options.center, options.pad_mode, options.normalized,
                     /*onesided=*/true, /*return_complex=*/true);
}

torch::Tensor magnitude_spectrogram(const torch::Tensor& signal, const StftOptions& options,
                                    double power, const torch::Tensor& window) {
  torch::Tensor magnitude = stft(signal, options, window).abs();
  if (power != 1.0) magnitude = magnitude.pow(power);
  return magnitude;
}

torch::Tensor clamped_magnitude(const torch::Tensor& signal, const StftOptions& options,
                                double min_power, double max_power, const torch::Tensor& window) {
  const torch::Tensor spec = stft(signal, options, window);
  const torch::Tensor re = torch::real(spec);
  const torch::Tensor im = torch::imag(spec);
  torch::Tensor power = re * re + im * im;
  power = max_power > 0 ? power.clamp(min_power, max_power) : power.clamp_min(min_power);
  return power.sqrt().transpose(-1, -2);
}

}  // namespace xcodec::audio
