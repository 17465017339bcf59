#pragma once
// Helpers shared by the prepare tests: a tone file and a quiet single-split PrepareConfig.
#include <cmath>
#include <filesystem>
#include <string>

#include "support/test_support.h"
#include "xcodec/audio/audio.h"
#include "xcodec/data/prepare/prepare.h"

namespace xcodec::testing {

/// A 440 Hz tone of `seconds` at `rate` Hz written to `path` (folders created).
inline void write_tone(const std::filesystem::path& path, int rate, double seconds,
                       audio::AudioFileFormat fmt = audio::kWav16) {
  std::filesystem::create_directories(path.parent_path());
  audio::Audio a;
  a.sample_rate = rate;
  a.samples.resize(static_cast<size_t>(std::llround(rate * seconds)));
  for (size_t i = 0; i < a.samples.size(); ++i) {
    a.samples[i] = 0.3f * static_cast<float>(std::sin(2 * M_PI * 440.0 * double(i) / rate));
  }
  audio::write_audio(path.string(), a, fmt);
}

/// dir/in → dir/data as `dataset`, two jobs, no progress, everything in train.
inline data::PrepareConfig quiet_config(const TempDir& dir, const std::string& dataset) {
  data::PrepareConfig c;
  c.dataset = dataset;
  c.input_dir = (dir.path() / "in").string();
  c.output_dir = (dir.path() / "data").string();
  c.jobs = 2;
  c.progress = "none";
  c.val_fraction = 0.0;
  c.test_fraction = 0.0;
  return c;
}

}  // namespace xcodec::testing
