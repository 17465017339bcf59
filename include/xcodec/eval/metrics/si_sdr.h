#pragma once
/// Scale-invariant signal-to-distortion ratio (Le Roux et al., "SDR - half-baked or well done?",
/// ICASSP 2019), zero-mean variant, float64 accumulation.
#include "xcodec/eval/metrics/samples.h"

namespace xcodec::eval {

/// SI-SDR of `estimate` against `reference` in dB (not symmetric). Both are made zero-mean over
/// the whole signal; α = <ŝ, s>/<s, s>, target = α s, residual = ŝ - target,
/// SI-SDR = 10 log10(|target|² / |residual|²) with no epsilon. Returns +infinity when the
/// residual is exactly zero (estimate = positive or negative multiple of the reference) and NaN
/// when the zero-mean reference has no energy (constant reference). Throws ShapeError if the
/// lengths differ or the signals are empty.
double si_sdr(SampleSpan reference, SampleSpan estimate);

}  // namespace xcodec::eval
