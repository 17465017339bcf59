#include "support/synthetic_speech.h"

#include <cmath>
#include <filesystem>

#include "xcodec/audio/audio.h"
#include "xcodec/data/prepare/prepare.h"

namespace xcodec::testing {

std::vector<float> synthetic_speech(double seconds, int voice, int sample_rate) {
  const int n = static_cast<int>(seconds * sample_rate);
  std::vector<float> out(n);
  double phase = 0;
  uint32_t noise = 12345u + static_cast<uint32_t>(voice);
  for (int i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / sample_rate;
    const double f0 = 110.0 + 30.0 * voice + 20.0 * std::sin(2 * M_PI * 3.0 * t);
    phase += 2 * M_PI * f0 / sample_rate;
    double v = 0;
    for (int h = 1; h <= 6; ++h) v += std::sin(h * phase) / h;
    noise = noise * 1664525u + 1013904223u;
    out[i] = static_cast<float>(0.15 * v * (0.6 + 0.4 * std::sin(2 * M_PI * 2.0 * t)) +
                                0.01 * ((noise >> 8) / 16777216.0 - 0.5));
  }
  return out;
}

void write_synthetic_corpus(const std::string& dir, int files, double seconds) {
  std::filesystem::create_directories(dir);
  for (int f = 0; f < files; ++f) {
    audio::Audio a;
    a.sample_rate = 16000;
    a.samples = synthetic_speech(seconds, f, a.sample_rate);
    audio::write_audio((std::filesystem::path(dir) / ("utt" + std::to_string(f) + ".wav")).string(),
                       a);
  }
}

std::string prepare_synthetic_dataset(const std::string& root, const std::string& name, int files,
                                      double seconds, int sample_rate) {
  const std::filesystem::path r(root);
  write_synthetic_corpus((r / "src").string(), files, seconds);
  data::PrepareConfig p;
  p.dataset = name;
  p.input_dir = (r / "src").string();
  p.output_dir = (r / "data").string();
  p.sample_rate = sample_rate;
  p.val_fraction = 0.0;
  p.test_fraction = 0.0;
  p.jobs = 1;
  p.progress = "none";
  data::prepare_dataset(p);
  return p.output_dir;
}

}  // namespace xcodec::testing
