#include "xcodec/audio/mel_filterbank.h"

#include <torch/torch.h>

#include <cmath>

#include "xcodec/core/error.h"

namespace xcodec::audio {
namespace {

// Slaney's Auditory Toolbox scale: linear up to 1 kHz, logarithmic above.
constexpr double kSlaneyHzPerMel = 200.0 / 3.0;
constexpr double kSlaneyMinLogHz = 1000.0;
constexpr double kSlaneyMinLogMel = kSlaneyMinLogHz / kSlaneyHzPerMel;  // 15
const double kSlaneyLogStep = std::log(6.4) / 27.0;

}  // namespace

double hz_to_mel(double hz, MelScale scale) {
  if (scale == MelScale::kHtk) return 2595.0 * std::log10(1.0 + hz / 700.0);
  if (hz < kSlaneyMinLogHz) return hz / kSlaneyHzPerMel;
  return kSlaneyMinLogMel + std::log(hz / kSlaneyMinLogHz) / kSlaneyLogStep;
}

double mel_to_hz(double mel, MelScale scale) {
  if (scale == MelScale::kHtk) return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
  if (mel < kSlaneyMinLogMel) return mel * kSlaneyHzPerMel;
  return kSlaneyMinLogHz * std::exp(kSlaneyLogStep * (mel - kSlaneyMinLogMel));
}

void MelFilterbankOptions::validate() const {
  if (n_freqs < 2) throw ConfigError("mel.n_freqs must be >= 2, got " + std::to_string(n_freqs));
  if (n_mels < 1) throw ConfigError("mel.n_mels must be >= 1, got " + std::to_string(n_mels));
  if (!(sample_rate > 0)) throw ConfigError("mel.sample_rate must be > 0");
  const double top = f_max > 0 ? f_max : sample_rate / 2;
  if (f_min < 0 || f_min >= top)
    throw ConfigError("mel.f_min must be in [0, f_max), got " + std::to_string(f_min));
}

torch::Tensor mel_filterbank(const MelFilterbankOptions& options,
                             const torch::TensorOptions& tensor_options) {
  options.validate();
  const double f_max = options.f_max > 0 ? options.f_max : options.sample_rate / 2;
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  // Bin centre frequencies: torchaudio uses linspace(0, sample_rate // 2, n_freqs).
  const double nyquist = std::floor(options.sample_rate / 2);
  const torch::Tensor all_freqs = torch::linspace(0.0, nyquist, options.n_freqs, f64);
  // n_mels + 2 edge frequencies, equally spaced on the mel scale.
  const double m_min = hz_to_mel(options.f_min, options.mel_scale);
  const double m_max = hz_to_mel(f_max, options.mel_scale);
  std::vector<double> edges(static_cast<size_t>(options.n_mels + 2));
  for (size_t i = 0; i < edges.size(); ++i) {
    const double m =
        m_min + (m_max - m_min) * static_cast<double>(i) / static_cast<double>(options.n_mels + 1);
    edges[i] = mel_to_hz(m, options.mel_scale);
  }
  const torch::Tensor f_pts = torch::tensor(edges, f64);
  const torch::Tensor f_diff = f_pts.slice(0, 1) - f_pts.slice(0, 0, -1);    // [n_mels + 1]
  const torch::Tensor slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1);  // [F, n_mels + 2]
  const torch::Tensor down = -slopes.slice(1, 0, -2) / f_diff.slice(0, 0, -1);
  const torch::Tensor up = slopes.slice(1, 2) / f_diff.slice(0, 1);
  torch::Tensor fb = torch::clamp_min(torch::minimum(down, up), 0.0);  // [F, n_mels]
  if (options.slaney_norm) {
    const torch::Tensor enorm =
        2.0 / (f_pts.slice(0, 2, options.n_mels + 2) - f_pts.slice(0, 0, options.n_mels));
    fb = fb * enorm.unsqueeze(0);
  }
  const auto dtype =
      tensor_options.has_dtype() ? tensor_options.dtype() : caffe2::TypeMeta::Make<float>();
  return fb.to(tensor_options.device(), c10::typeMetaToScalarType(dtype));
}

MelSpectrogram::MelSpectrogram(MelSpectrogramOptions options) : options_(std::move(options)) {
  options_.stft.validate();
  options_.mel.n_freqs = options_.stft.num_bins();
  options_.mel.validate();
}

std::pair<torch::Tensor, torch::Tensor> MelSpectrogram::buffers_for(
    const torch::Tensor& like) const {
  const std::string key = like.device().str() + "/" + c10::toString(like.scalar_type());
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    const auto opts = like.options();
    it = cache_
             .emplace(key, std::make_pair(hann_window(options_.stft.win_length, opts),
                                          mel_filterbank(options_.mel, opts)))
             .first;
  }
  return it->second;
}

torch::Tensor MelSpectrogram::operator()(const torch::Tensor& input) const {
  const bool half = input.scalar_type() == torch::kHalf || input.scalar_type() == torch::kBFloat16;
  const torch::Tensor signal = half ? input.to(torch::kFloat32) : input;
  const auto [window, fb] = buffers_for(signal);
  const torch::Tensor spec = magnitude_spectrogram(signal, options_.stft, options_.power, window);
  // [.., F, frames]^T @ [F, n_mels] → [.., frames, n_mels] → [.., n_mels, frames]
  return torch::matmul(spec.transpose(-1, -2), fb).transpose(-1, -2);
}

}  // namespace xcodec::audio
