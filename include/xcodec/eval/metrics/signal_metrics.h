#pragma once
/// Per-file quality metrics of a reconstruction and their aggregation over a data set: what an
/// evaluator calls once per (original, reconstruction) pair, then summarises.
#include <cstdint>
#include <limits>

#include "xcodec/eval/metrics/samples.h"
#include "xcodec/eval/metrics/spectral_distance.h"

namespace xcodec::eval {

/// Which metrics compute_signal_metrics evaluates, and their settings.
struct SignalMetricsOptions {
  bool stoi = true;                   // STOI (pystoi-exact)
  bool estoi = true;                  // extended STOI
  bool si_sdr = true;                 // scale-invariant SDR, dB
  bool mel_distance = true;           // X-Codec-2.0 multi-resolution mel distance
  bool log_spectral_distance = true;  // log-spectral distance
  MelDistanceOptions mel;             // settings of the mel distance
  LogSpectralDistanceOptions lsd;     // settings of the log-spectral distance
  /// Validates the nested options (ConfigError naming the field).
  void validate() const;
};

/// The metrics of one file; NaN where not computed.
struct SignalMetrics {
  static constexpr double kNotComputed = std::numeric_limits<double>::quiet_NaN();
  double stoi = kNotComputed;                   // [0, 1], higher is better
  double estoi = kNotComputed;                  // about [0, 1], higher is better
  double si_sdr_db = kNotComputed;              // dB, higher is better (+inf if exact)
  double mel_distance = kNotComputed;           // >= 0, lower is better
  double log_spectral_distance = kNotComputed;  // log10 power, >= 0, lower is better
};

/// Evaluates the enabled metrics of `estimate` (the reconstruction) against `reference` (the
/// original), both mono at `sample_rate` Hz and of equal length (trim the codec's padding
/// first). Throws ShapeError on a length mismatch or a signal too short for a metric.
SignalMetrics compute_signal_metrics(SampleSpan reference, SampleSpan estimate, int sample_rate,
                                     const SignalMetricsOptions& options = {});

/// Running mean of one metric over files. Non-finite values (+inf SI-SDR of an exact copy, NaN
/// of a metric not computed or undefined) are counted separately and left out of the mean.
class MetricMean {
 public:
  void add(double value);
  /// Mean of the finite values; NaN when there are none.
  double mean() const;
  double min() const;                                     // NaN when no finite value
  double max() const;                                     // NaN when no finite value
  int64_t count() const { return count_; }                // finite values averaged
  int64_t positive_infinite() const { return pos_inf_; }  // +inf values seen
  int64_t negative_infinite() const { return neg_inf_; }  // -inf values seen
  int64_t not_a_number() const { return nan_; }           // NaN values seen

 private:
  int64_t count_ = 0, pos_inf_ = 0, nan_ = 0, neg_inf_ = 0;
  double sum_ = 0.0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
};

/// Means of every SignalMetrics field over a data set.
struct SignalMetricsSummary {
  MetricMean stoi, estoi, si_sdr_db, mel_distance, log_spectral_distance;
  int64_t files = 0;  // add() calls
  void add(const SignalMetrics& metrics);
};

}  // namespace xcodec::eval
