#pragma once
/// Short-Time Objective Intelligibility (STOI, Taal et al. 2011) and its extended form (ESTOI,
/// Jensen & Taal 2016), following the reference Python implementation pystoi 0.4.1 step by step
/// (float64 throughout): resampling to 10 kHz with pystoi's Octave-compatible Kaiser-windowed
/// polyphase FIR, 40 dB silent-frame removal decided on the clean signal, 256-sample frames
/// (MATLAB hanning window) at 50 % overlap, 512-point FFT, 15 one-third-octave bands from
/// 150 Hz, 30-frame segments, β = -15 dB clipping (STOI only).
#include <cstdint>
#include <utility>
#include <vector>

#include "xcodec/eval/metrics/samples.h"

namespace xcodec::eval {

/// The fixed constants of the algorithm (pystoi's names in comments).
struct StoiConstants {
  static constexpr int kSampleRate = 10000;    // FS, Hz
  static constexpr int kFrameLength = 256;     // N_FRAME, samples at 10 kHz
  static constexpr int kHop = 128;             // N_FRAME / 2
  static constexpr int kFftSize = 512;         // NFFT
  static constexpr int kNumBands = 15;         // NUMBAND
  static constexpr double kMinFreqHz = 150.0;  // MINFREQ
  static constexpr int kSegmentFrames = 30;    // N
  static constexpr double kBetaDb = -15.0;     // BETA
  static constexpr double kDynRangeDb = 40.0;  // DYN_RANGE
  /// Returned (with a warning) when fewer than 30 STFT frames remain, as pystoi does.
  static constexpr double kTooShortValue = 1e-5;
};

/// STOI of `degraded` against `clean` (same length, same rate `sample_rate` Hz, any rate > 0).
/// Result in about [0, 1] (higher = more intelligible; 1 for identical signals).
/// Throws ShapeError if the lengths differ or the signal is shorter than one 10 kHz frame,
/// ConfigError for a non-positive rate. Returns 1e-5 (and logs a warning) like pystoi when,
/// after silent-frame removal, fewer than 30 STFT frames (about 0.4 s of speech) remain, and NaN
/// (with a warning) when a sample is NaN or infinite.
double stoi(SampleSpan clean, SampleSpan degraded, int sample_rate);

/// Extended STOI (pystoi `extended=True`); same contract as stoi(). pystoi adds float64-epsilon
/// Gaussian noise before each normalisation; here it comes from a fixed-seed generator, so the
/// result is deterministic (it differs from pystoi's by ~1e-16 except on exactly silent bands).
double estoi(SampleSpan clean, SampleSpan degraded, int sample_rate);

/// STOI/ESTOI with the intermediate counts of the pipeline (for diagnostics and tests).
struct StoiDetails {
  double value = 0.0;                          // STOI or ESTOI
  int64_t samples_10k = 0;                     // length after resampling to 10 kHz
  int frames_total = 0;                        // 256-sample frames of the clean signal
  int frames_kept = 0;                         // frames within 40 dB of the loudest
  std::vector<std::pair<int, int>> kept_runs;  // kept frames as runs [first, end)
  int64_t samples_after_removal = 0;           // length of the overlap-added kept frames
  int stft_frames = 0;                         // STFT frames of the shortened signals
  int segments = 0;                            // 30-frame segments (0 if too short)
};
StoiDetails stoi_details(SampleSpan clean, SampleSpan degraded, int sample_rate, bool extended);

/// pystoi's resampler (`utils.resample_oct`, a port of Octave's `resample`): with p/q = to/from
/// in lowest terms, a (2L+1)-tap Kaiser-windowed sinc low-pass (cut-off 1/(2 max(p,q)), 60 dB,
/// roll-off width cut-off/10), normalised to sum 1, applied as scipy.signal.resample_poly
/// (zero-padded ends, no delay, ceil(N p / q) output samples). Float64 in and out.
std::vector<double> stoi_resample(const std::vector<double>& signal, int from_rate, int to_rate);

/// The normalised FIR `g` (2L+1 taps, sums to 1) stoi_resample uses for p/q = up/down in
/// lowest terms.
std::vector<double> stoi_resample_filter(int up, int down);

/// Bin ranges [first, end) of the 15 one-third-octave bands on the 512-point FFT at 10 kHz.
std::vector<std::pair<int, int>> stoi_third_octave_bins();

}  // namespace xcodec::eval
