#include "xcodec/eval/metrics/spectrogram_image.h"

#include <png.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <csetjmp>
#include <cstdint>
#include <limits>
#include <vector>

#include "eval/metrics/metrics_fft.h"
#include "xcodec/core/error.h"
#include "xcodec/io/atomic_file.h"

namespace xcodec::eval {
namespace {

// Matplotlib's viridis sampled at 9 evenly spaced points, interpolated linearly.
constexpr std::array<std::array<double, 3>, 9> kViridis = {{{68, 1, 84},
                                                            {71, 44, 122},
                                                            {59, 81, 139},
                                                            {44, 113, 142},
                                                            {33, 144, 141},
                                                            {39, 173, 129},
                                                            {92, 200, 99},
                                                            {170, 220, 50},
                                                            {253, 231, 37}}};

std::array<uint8_t, 3> colour(double t) {
  t = std::clamp(t, 0.0, 1.0) * (kViridis.size() - 1);
  const size_t i = std::min(static_cast<size_t>(t), kViridis.size() - 2);
  const double f = t - static_cast<double>(i);
  std::array<uint8_t, 3> rgb{};
  for (int c = 0; c < 3; ++c)
    rgb[c] = static_cast<uint8_t>(std::lround(kViridis[i][c] * (1.0 - f) + kViridis[i + 1][c] * f));
  return rgb;
}

// Log-power spectrogram in dB, [columns][rows]: bins 0..n_fft/2-1 max-pooled to `rows` rows and
// frames max-pooled to `columns` columns.
std::vector<std::vector<double>> db_columns(SampleSpan signal, const SpectrogramImageOptions& o,
                                            int columns, int total_frames, int rows) {
  std::vector<double> x(signal.begin(), signal.end());
  const int pad = o.n_fft / 2;
  std::vector<double> padded(x.size() + 2 * pad, 0.0);  // zero-padded (works for any length)
  std::copy(x.begin(), x.end(), padded.begin() + pad);
  const auto window = detail::make_window(detail::WindowKind::kHannPeriodic, o.n_fft);
  const auto spec = detail::spectrogram(padded, o.n_fft, o.hop, window, /*center=*/false, 2);
  const int bins = o.n_fft / 2;
  std::vector<std::vector<double>> out(
      columns, std::vector<double>(rows, -std::numeric_limits<double>::infinity()));
  for (int f = 0; f < spec.frames; ++f) {
    const int col = static_cast<int>(static_cast<int64_t>(f) * columns / total_frames);
    for (int k = 0; k < bins; ++k) {
      const int row = static_cast<int>(static_cast<int64_t>(k) * rows / bins);
      out[col][row] = std::max(out[col][row], 10.0 * std::log10(spec.at(f, k) + 1e-20));
    }
  }
  return out;
}

struct PngSink {
  std::string* bytes;
};

void png_write_callback(png_structp png, png_bytep data, png_size_t length) {
  auto* sink = static_cast<PngSink*>(png_get_io_ptr(png));
  sink->bytes->append(reinterpret_cast<const char*>(data), length);
}
void png_flush_callback(png_structp) {}

// Encodes 8-bit RGB rows; returns false if libpng reports an error. Only plain data lives in
// this frame, so longjmp out of libpng skips no destructor.
bool encode_rgb_png(const uint8_t* rgb, int width, int height, std::string* out) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (png == nullptr) return false;
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    return false;
  }
  PngSink sink{out};
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, &sink, png_write_callback, png_flush_callback);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
               PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int r = 0; r < height; ++r)
    png_write_row(png, const_cast<png_bytep>(rgb + static_cast<size_t>(r) * width * 3));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

int frames_for(size_t samples, const SpectrogramImageOptions& o) {
  // Zero padding of n_fft/2 on both sides, frames of n_fft at hop.
  return static_cast<int>((samples + 2 * (o.n_fft / 2) - o.n_fft) / o.hop + 1);
}

}  // namespace

void SpectrogramImageOptions::validate() const {
  if (n_fft < 4 || (n_fft & (n_fft - 1)) != 0)
    throw ConfigError("spectrogram image: n_fft must be a power of two >= 4, got " +
                      std::to_string(n_fft));
  if (hop <= 0)
    throw ConfigError("spectrogram image: hop must be positive, got " + std::to_string(hop));
  if (!(dynamic_range_db > 0.0))
    throw ConfigError("spectrogram image: dynamic_range_db must be positive, got " +
                      std::to_string(dynamic_range_db));
  if (max_width <= 0)
    throw ConfigError("spectrogram image: max_width must be positive, got " +
                      std::to_string(max_width));
  if (panel_height <= 0)
    throw ConfigError("spectrogram image: panel_height must be positive, got " +
                      std::to_string(panel_height));
  if (separator < 0)
    throw ConfigError("spectrogram image: separator must be >= 0, got " +
                      std::to_string(separator));
}

std::string spectrogram_comparison_png(SampleSpan original, SampleSpan reconstruction,
                                       int sample_rate, const SpectrogramImageOptions& options) {
  options.validate();
  if (sample_rate <= 0)
    throw ConfigError("spectrogram image: sample rate must be positive, got " +
                      std::to_string(sample_rate));
  if (original.empty() || reconstruction.empty())
    throw ShapeError("spectrogram image: signals must be non-empty (got " +
                     std::to_string(original.size()) + " and " +
                     std::to_string(reconstruction.size()) + " samples)");
  const int total_frames =
      std::max(frames_for(original.size(), options), frames_for(reconstruction.size(), options));
  const int width = std::min(total_frames, options.max_width);
  const int rows = std::min(options.panel_height, options.n_fft / 2);
  const auto top = db_columns(original, options, width, total_frames, rows);
  const auto bottom = db_columns(reconstruction, options, width, total_frames, rows);
  double peak = -std::numeric_limits<double>::infinity();
  for (const auto& col : top)
    for (double v : col) peak = std::max(peak, v);
  if (!std::isfinite(peak)) peak = 0.0;
  const double floor_db = peak - options.dynamic_range_db;

  const int height = 2 * rows + options.separator;
  std::vector<uint8_t> rgb(static_cast<size_t>(width) * height * 3, 255);
  auto paint = [&](const std::vector<std::vector<double>>& panel, int first_row) {
    for (int c = 0; c < width; ++c) {
      for (int k = 0; k < rows; ++k) {
        const double v = panel[c][k];
        const double t = std::isfinite(v) ? (v - floor_db) / options.dynamic_range_db : 0.0;
        const auto px = colour(t);
        const int r = first_row + (rows - 1 - k);  // low frequencies at the bottom
        std::copy(px.begin(), px.end(), rgb.begin() + (static_cast<size_t>(r) * width + c) * 3);
      }
    }
  };
  paint(top, 0);
  paint(bottom, rows + options.separator);
  std::string bytes;
  if (!encode_rgb_png(rgb.data(), width, height, &bytes))
    throw IoError("spectrogram image: libpng failed to encode a " + std::to_string(width) + "x" +
                  std::to_string(height) + " image");
  return bytes;
}

void write_spectrogram_comparison_png(const std::string& path, SampleSpan original,
                                      SampleSpan reconstruction, int sample_rate,
                                      const SpectrogramImageOptions& options) {
  io::write_file_atomic(path,
                        spectrogram_comparison_png(original, reconstruction, sample_rate, options));
}

}  // namespace xcodec::eval
