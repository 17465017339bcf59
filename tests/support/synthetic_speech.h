#pragma once
// Speech-like test audio without any download: harmonic tones with a wandering pitch,
// syllable-rate amplitude modulation and a little noise.
#include <string>
#include <vector>

namespace xcodec::testing {

/// `seconds` of 16 kHz mono speech-like samples; `voice` varies the pitch.
std::vector<float> synthetic_speech(double seconds, int voice, int sample_rate = 16000);

/// Writes `files` such clips as 16-bit WAV files utt<i>.wav into `dir` (created).
void write_synthetic_corpus(const std::string& dir, int files, double seconds);

/// write_synthetic_corpus into root/src, then `xcodec prepare` it as dataset `name` at
/// `sample_rate` into root/data (everything in train); returns the data dir.
std::string prepare_synthetic_dataset(const std::string& root, const std::string& name, int files,
                                      double seconds, int sample_rate = 16000);

}  // namespace xcodec::testing
