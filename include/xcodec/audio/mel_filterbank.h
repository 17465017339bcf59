#pragma once
/// Mel filter banks and a mel spectrogram, numerically equal to torchaudio 2.4
/// `torchaudio.functional.melscale_fbanks` and `torchaudio.transforms.MelSpectrogram`.
#include <torch/types.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "xcodec/audio/stft.h"

namespace xcodec::audio {

/// Mel scale used to place the filter centres.
enum class MelScale {
  kSlaney,  ///< linear below 1 kHz (200/3 Hz per mel), logarithmic above (step ln(6.4)/27)
  kHtk,     ///< 2595 * log10(1 + f / 700)
};

/// Hz → mel on the given scale.
double hz_to_mel(double hz, MelScale scale);
/// mel → Hz on the given scale.
double mel_to_hz(double mel, MelScale scale);

/// Parameters of a triangular mel filter bank.
struct MelFilterbankOptions {
  int64_t n_freqs = 513;       ///< one-sided STFT bins (n_fft/2 + 1)
  int64_t n_mels = 80;         ///< number of filters
  double sample_rate = 16000;  ///< Hz
  double f_min = 0.0;          ///< lowest filter edge, Hz
  double f_max = -1.0;         ///< highest filter edge, Hz; <= 0 means sample_rate / 2
  MelScale mel_scale = MelScale::kSlaney;
  bool slaney_norm = true;  ///< scale each filter by 2 / (f[m+2] - f[m]) (constant area)

  void validate() const;
};

/// The filter bank as [n_freqs, n_mels] (torchaudio's layout: spectrogram^T @ fb).
/// Computed in float64 and cast to `options.dtype()`.
torch::Tensor mel_filterbank(const MelFilterbankOptions& options,
                             const torch::TensorOptions& tensor_options = {});

/// Parameters of a mel spectrogram (torchaudio.transforms.MelSpectrogram).
struct MelSpectrogramOptions {
  StftOptions stft;          ///< STFT resolution (periodic Hann of stft.win_length)
  MelFilterbankOptions mel;  ///< filter bank; mel.n_freqs is taken from stft.n_fft
  double power = 1.0;        ///< exponent of the magnitude (1 magnitude, 2 power)
};

/// A mel spectrogram transform. Windows and filter banks are built on first use for each
/// (device, dtype) and cached, so one instance serves CPU and CUDA inputs. Thread-safe.
class MelSpectrogram {
 public:
  explicit MelSpectrogram(MelSpectrogramOptions options);
  MelSpectrogram(const MelSpectrogram& other) : options_(other.options_) {}

  /// `signal` [T] or [B, T] → mel spectrogram [B, n_mels, frames] (or [n_mels, frames]);
  /// float16/bfloat16 input is computed (and returned) in float32.
  torch::Tensor operator()(const torch::Tensor& signal) const;
  const MelSpectrogramOptions& options() const { return options_; }

 private:
  std::pair<torch::Tensor, torch::Tensor> buffers_for(const torch::Tensor& like) const;

  MelSpectrogramOptions options_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::pair<torch::Tensor, torch::Tensor>> cache_;  // window, fb
};

}  // namespace xcodec::audio
