#include "xcodec/eval/metrics/si_sdr.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <vector>

#include "xcodec/core/error.h"

namespace xcodec::eval {

double si_sdr(SampleSpan reference, SampleSpan estimate) {
  if (reference.size() != estimate.size() || reference.empty()) {
    std::ostringstream msg;
    msg << "SI-SDR: reference and estimate must be non-empty and of equal length (got "
        << reference.size() << " and " << estimate.size() << " samples)";
    throw ShapeError(msg.str());
  }
  const size_t n = reference.size();
  double mean_s = 0.0, mean_e = 0.0;
  for (size_t i = 0; i < n; ++i) {
    mean_s += reference[i];
    mean_e += estimate[i];
  }
  mean_s /= static_cast<double>(n);
  mean_e /= static_cast<double>(n);
  std::vector<double> s(n), e(n);
  double dot = 0.0, energy = 0.0;
  for (size_t i = 0; i < n; ++i) {
    s[i] = static_cast<double>(reference[i]) - mean_s;
    e[i] = static_cast<double>(estimate[i]) - mean_e;
    dot += e[i] * s[i];
    energy += s[i] * s[i];
  }
  if (energy == 0.0) return std::numeric_limits<double>::quiet_NaN();
  const double alpha = dot / energy;
  double target = 0.0, residual = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double t = alpha * s[i];
    const double r = e[i] - t;
    target += t * t;
    residual += r * r;
  }
  if (residual == 0.0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(target / residual);
}

}  // namespace xcodec::eval
