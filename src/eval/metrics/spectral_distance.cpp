#include "xcodec/eval/metrics/spectral_distance.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "eval/metrics/metrics_fft.h"
#include "xcodec/core/error.h"

namespace xcodec::eval {
namespace {

bool is_power_of_two(int n) { return n >= 1 && (n & (n - 1)) == 0; }

void check_pair(SampleSpan reference, SampleSpan estimate, const char* what) {
  if (reference.size() != estimate.size()) {
    std::ostringstream msg;
    msg << what << ": reference and estimate differ in length (" << reference.size() << " vs "
        << estimate.size() << " samples)";
    throw ShapeError(msg.str());
  }
}

}  // namespace

void MelDistanceOptions::validate() const {
  if (n_mels.empty() || n_mels.size() != n_fft.size())
    throw ConfigError(
        "mel distance: n_mels and n_fft must be non-empty lists of equal length (got " +
        std::to_string(n_mels.size()) + " and " + std::to_string(n_fft.size()) + ")");
  for (size_t i = 0; i < n_fft.size(); ++i) {
    if (!is_power_of_two(n_fft[i]) || n_fft[i] < 4)
      throw ConfigError("mel distance: n_fft[" + std::to_string(i) +
                        "] must be a power of two >= 4, got " + std::to_string(n_fft[i]));
    if (n_mels[i] <= 0)
      throw ConfigError("mel distance: n_mels[" + std::to_string(i) + "] must be positive, got " +
                        std::to_string(n_mels[i]));
  }
  if (!(clamp_eps > 0.0))
    throw ConfigError("mel distance: clamp_eps must be positive, got " + std::to_string(clamp_eps));
}

std::vector<double> mel_distance_per_scale(SampleSpan reference, SampleSpan estimate,
                                           int sample_rate, const MelDistanceOptions& options) {
  options.validate();
  check_pair(reference, estimate, "mel distance");
  if (sample_rate <= 0)
    throw ConfigError("mel distance: sample rate must be positive, got " +
                      std::to_string(sample_rate));
  const std::vector<double> ref = detail::to_double(reference.data(), reference.size());
  const std::vector<double> est = detail::to_double(estimate.data(), estimate.size());
  std::vector<double> terms;
  for (size_t s = 0; s < options.n_fft.size(); ++s) {
    const int n_fft = options.n_fft[s], n_mels = options.n_mels[s];
    const auto window = detail::make_window(detail::WindowKind::kHannPeriodic, n_fft);
    const auto a = detail::spectrogram(ref, n_fft, n_fft / 4, window, /*center=*/true, 1);
    const auto b = detail::spectrogram(est, n_fft, n_fft / 4, window, /*center=*/true, 1);
    const auto fb = detail::slaney_mel_filterbank(a.bins, n_mels, sample_rate, sample_rate / 2.0);
    // The filters are triangles: only bins [first[m], end[m]) are non-zero.
    std::vector<int> first(n_mels, 0), end(n_mels, 0);
    for (int m = 0; m < n_mels; ++m) {
      int k0 = 0;
      while (k0 < a.bins && fb[static_cast<size_t>(k0) * n_mels + m] == 0.0) ++k0;
      int k1 = a.bins;
      while (k1 > k0 && fb[static_cast<size_t>(k1 - 1) * n_mels + m] == 0.0) --k1;
      first[m] = k0;
      end[m] = k1;
    }
    double sum = 0.0;
    for (int f = 0; f < a.frames; ++f) {
      for (int m = 0; m < n_mels; ++m) {
        double ma = 0.0, mb = 0.0;
        for (int k = first[m]; k < end[m]; ++k) {
          const double w = fb[static_cast<size_t>(k) * n_mels + m];
          ma += a.at(f, k) * w;
          mb += b.at(f, k) * w;
        }
        sum += std::abs(std::log10(std::max(mb, options.clamp_eps)) -
                        std::log10(std::max(ma, options.clamp_eps)));
      }
    }
    terms.push_back(sum / (static_cast<double>(a.frames) * n_mels));
  }
  return terms;
}

double mel_distance(SampleSpan reference, SampleSpan estimate, int sample_rate,
                    const MelDistanceOptions& options) {
  double total = 0.0;
  for (double t : mel_distance_per_scale(reference, estimate, sample_rate, options)) total += t;
  return total;
}

void LogSpectralDistanceOptions::validate() const {
  if (!is_power_of_two(n_fft) || n_fft < 4)
    throw ConfigError("log-spectral distance: n_fft must be a power of two >= 4, got " +
                      std::to_string(n_fft));
  if (hop <= 0)
    throw ConfigError("log-spectral distance: hop must be positive, got " + std::to_string(hop));
  if (!(eps > 0.0))
    throw ConfigError("log-spectral distance: eps must be positive, got " + std::to_string(eps));
}

double log_spectral_distance(SampleSpan reference, SampleSpan estimate,
                             const LogSpectralDistanceOptions& options) {
  options.validate();
  check_pair(reference, estimate, "log-spectral distance");
  const auto window = detail::make_window(detail::WindowKind::kHannPeriodic, options.n_fft);
  const auto a = detail::spectrogram(detail::to_double(reference.data(), reference.size()),
                                     options.n_fft, options.hop, window, /*center=*/true, 2);
  const auto b = detail::spectrogram(detail::to_double(estimate.data(), estimate.size()),
                                     options.n_fft, options.hop, window, /*center=*/true, 2);
  double total = 0.0;
  for (int f = 0; f < a.frames; ++f) {
    double sq = 0.0;
    for (int k = 0; k < a.bins; ++k) {
      const double d = std::log10(a.at(f, k) + options.eps) - std::log10(b.at(f, k) + options.eps);
      sq += d * d;
    }
    total += std::sqrt(sq / a.bins);
  }
  return total / a.frames;
}

}  // namespace xcodec::eval
