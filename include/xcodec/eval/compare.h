#pragma once
/// `xcodec eval --ref DIR --deg DIR`: scores any codec's output against the originals, with no
/// model. Files are paired by relative path without extension (ref `a/b.wav` pairs with deg
/// `a/b.flac` or `a/b.wav`), both resampled to one rate, a constant delay (up to ±100 ms by
/// default) found by cross-correlation and removed, then STOI, ESTOI, SI-SDR, mel distance and
/// log-spectral distance computed per file and averaged.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "xcodec/eval/metrics/samples.h"

namespace xcodec::eval {

struct CompareOptions {
  std::string ref_dir;        ///< folder of originals (recursive)
  std::string deg_dir;        ///< folder of degraded/decoded files, same relative paths
  std::string output;         ///< report.json path ("" = do not write)
  int sample_rate = 0;        ///< Hz both signals are scored at; 0 = each original's own rate
  double max_delay_ms = 100;  ///< largest delay searched, either sign (ms); 0 = no compensation
  int64_t max_files = 0;      ///< score at most this many pairs (0 = all)
  void validate() const;      ///< ConfigError naming the field
};

/// Delay of `degraded` relative to `reference`, in samples, in [-max_lag, max_lag] (positive:
/// the degraded signal lags). Found as the maximum of the cross-correlation of the two amplitude
/// envelopes (sqrt of the power over windows of max_lag/5 samples, clamped to 2..320), then
/// refined within one window by the waveform cross-correlation when the waveforms match there
/// (normalised correlation >= 0.3): codecs that keep the phase are aligned to the sample, those
/// that do not (codec2, GAN decoders) by their envelope. Both correlations are one float64 FFT
/// of size >= len(ref) + len(deg). Returns 0 for a silent signal or max_lag <= 0.
int64_t estimate_delay(SampleSpan reference, SampleSpan degraded, int64_t max_lag);

/// The two signals after removing `delay` (as returned by estimate_delay) and cutting both to
/// their common length.
struct AlignedPair {
  std::vector<float> reference;
  std::vector<float> degraded;
};
AlignedPair align_signals(SampleSpan reference, SampleSpan degraded, int64_t delay);

/// Pairs the files, scores every pair and returns the report (also written to options.output):
/// "files" (per pair: file, delay_ms, duration_s, length difference, metrics), "mean",
/// "unmatched_ref", "unmatched_deg", "failed". Throws IoError for a missing folder or a
/// reference folder without audio, and Error when no pair matched or none could be scored.
nlohmann::json run_comparison(const CompareOptions& options);

}  // namespace xcodec::eval
