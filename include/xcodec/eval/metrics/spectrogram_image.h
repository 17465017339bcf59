#pragma once
/// A side-by-side (stacked) spectrogram image of an original and its reconstruction, as PNG.
#include <string>

#include "xcodec/eval/metrics/samples.h"

namespace xcodec::eval {

struct SpectrogramImageOptions {
  int n_fft = 1024;                // FFT and periodic Hann window length, samples (power of two)
  int hop = 128;                   // samples between columns
  int panel_height = 256;          // rows per panel (frequency bins max-pooled to fit), pixels
  double dynamic_range_db = 80.0;  // dB below the original's peak mapped to the darkest colour
  int max_width = 2400;            // columns at most; longer inputs are max-pooled to fit, pixels
  int separator = 6;               // white rows between the two panels, pixels
  /// Throws ConfigError naming the field when out of range.
  void validate() const;
};

/// Renders the log-power spectrograms (dB, viridis colours, low frequencies at the bottom) of
/// `original` (top panel) and `reconstruction` (bottom panel) on one colour scale anchored at
/// the original's peak, and returns the PNG file's bytes (8-bit RGB). Width = STFT frames of
/// the longer signal (at most max_width), each panel min(panel_height, n_fft/2) rows high
/// (linear frequency axis from 0 to sample_rate/2). The signals may differ
/// in length; the shorter panel is padded with the darkest colour. Throws ShapeError if either
/// signal is empty, IoError if libpng fails.
std::string spectrogram_comparison_png(SampleSpan original, SampleSpan reconstruction,
                                       int sample_rate,
                                       const SpectrogramImageOptions& options = {});

/// spectrogram_comparison_png written atomically to `path` (throws IoError naming it).
void write_spectrogram_comparison_png(const std::string& path, SampleSpan original,
                                      SampleSpan reconstruction, int sample_rate,
                                      const SpectrogramImageOptions& options = {});

}  // namespace xcodec::eval
