#include "xcodec/eval/metrics/signal_metrics.h"

#include <cmath>

#include "xcodec/eval/metrics/si_sdr.h"
#include "xcodec/eval/metrics/stoi.h"

namespace xcodec::eval {

void SignalMetricsOptions::validate() const {
  if (mel_distance) mel.validate();
  if (log_spectral_distance) lsd.validate();
}

SignalMetrics compute_signal_metrics(SampleSpan reference, SampleSpan estimate, int sample_rate,
                                     const SignalMetricsOptions& options) {
  options.validate();
  SignalMetrics m;
  if (options.stoi) m.stoi = stoi(reference, estimate, sample_rate);
  if (options.estoi) m.estoi = estoi(reference, estimate, sample_rate);
  if (options.si_sdr) m.si_sdr_db = si_sdr(reference, estimate);
  if (options.mel_distance)
    m.mel_distance = mel_distance(reference, estimate, sample_rate, options.mel);
  if (options.log_spectral_distance)
    m.log_spectral_distance = log_spectral_distance(reference, estimate, options.lsd);
  return m;
}

void MetricMean::add(double value) {
  if (std::isnan(value)) {
    ++nan_;
  } else if (std::isinf(value)) {
    if (value > 0)
      ++pos_inf_;
    else
      ++neg_inf_;
  } else {
    ++count_;
    sum_ += value;
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
}

double MetricMean::mean() const {
  return count_ > 0 ? sum_ / static_cast<double>(count_) : std::numeric_limits<double>::quiet_NaN();
}
double MetricMean::min() const {
  return count_ > 0 ? min_ : std::numeric_limits<double>::quiet_NaN();
}
double MetricMean::max() const {
  return count_ > 0 ? max_ : std::numeric_limits<double>::quiet_NaN();
}

void SignalMetricsSummary::add(const SignalMetrics& m) {
  ++files;
  stoi.add(m.stoi);
  estoi.add(m.estoi);
  si_sdr_db.add(m.si_sdr_db);
  mel_distance.add(m.mel_distance);
  log_spectral_distance.add(m.log_spectral_distance);
}

}  // namespace xcodec::eval
