#pragma once
/// Spectral distances between a reference and a reconstruction (float64 internally).
#include <vector>

#include "xcodec/eval/metrics/samples.h"

namespace xcodec::eval {

/// X-Codec-2.0's multi-resolution mel distance (`criterions/mel_loss.py`,
/// MultiResolutionMelSpectrogramLoss with default arguments): per scale a magnitude STFT
/// (centred, reflect padding of n_fft/2, periodic Hann window of n_fft, hop n_fft/4), a Slaney
/// mel filterbank with Slaney area normalisation from 0 Hz to sample_rate/2, and the mean of
/// |log10(max(mel(estimate), clamp_eps)) - log10(max(mel(reference), clamp_eps))| over all
/// mel bins × frames; the distance is the sum over scales (unweighted: training multiplies it
/// by 15).
struct MelDistanceOptions {
  std::vector<int> n_mels = {5, 10, 20, 40, 80, 160, 320};  // mel bins per scale
  std::vector<int> n_fft = {32,  64,   128, 256,
                            512, 1024, 2048};  // FFT = window, samples (powers of 2)
  double clamp_eps = 1e-5;                     // floor before log10
  /// Throws ConfigError naming the field if the lists differ in length, are empty, or an n_fft
  /// is not a power of two >= 4.
  void validate() const;
};

/// Multi-resolution mel distance (see MelDistanceOptions); 0 for identical signals. Throws
/// ShapeError if the lengths differ or the signal is not longer than the largest n_fft / 2.
double mel_distance(SampleSpan reference, SampleSpan estimate, int sample_rate,
                    const MelDistanceOptions& options = {});

/// The per-scale terms of mel_distance (their sum is mel_distance).
std::vector<double> mel_distance_per_scale(SampleSpan reference, SampleSpan estimate,
                                           int sample_rate, const MelDistanceOptions& options = {});

/// Log-spectral distance: power spectra P of both signals from a centred STFT (reflect padding,
/// periodic Hann window), then the mean over frames of
/// sqrt(mean over bins of (log10(P_ref + eps) - log10(P_est + eps))²). Unit: log10 power
/// ("bels"); multiply by 10 for dB. 0 for identical signals; |2 log10 a| for a gain a while the
/// spectra stay well above eps.
struct LogSpectralDistanceOptions {
  int n_fft = 2048;    // FFT and window length, samples (power of two)
  int hop = 512;       // samples between frames
  double eps = 1e-10;  // added to the power spectra before log10
  /// Throws ConfigError naming the field when out of range.
  void validate() const;
};
double log_spectral_distance(SampleSpan reference, SampleSpan estimate,
                             const LogSpectralDistanceOptions& options = {});

}  // namespace xcodec::eval
