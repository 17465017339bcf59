#include <torch/torch.h>

#include "support/test_support.h"
#include "xcodec/audio/mel_filterbank.h"
#include "xcodec/audio/stft.h"
#include "xcodec/core/error.h"

namespace xcodec::audio {
namespace {

TEST(MelFilterbank, SlaneyScaleKnownPoints) {
  EXPECT_DOUBLE_EQ(hz_to_mel(1000.0, MelScale::kSlaney), 15.0);
  EXPECT_DOUBLE_EQ(hz_to_mel(200.0 / 3.0, MelScale::kSlaney), 1.0);
  EXPECT_NEAR(hz_to_mel(6400.0, MelScale::kSlaney), 15.0 + 27.0, 1e-12);  // step ln(6.4)/27
  for (double hz : {0.0, 50.0, 999.0, 1000.0, 4321.0, 8000.0}) {
    EXPECT_NEAR(mel_to_hz(hz_to_mel(hz, MelScale::kSlaney), MelScale::kSlaney), hz, 1e-9);
    EXPECT_NEAR(mel_to_hz(hz_to_mel(hz, MelScale::kHtk), MelScale::kHtk), hz, 1e-9);
  }
}

TEST(MelFilterbank, TrianglesWithSlaneyArea) {
  MelFilterbankOptions o;
  o.n_freqs = 1025;
  o.n_mels = 40;
  const auto fb = mel_filterbank(o, torch::kFloat64);
  ASSERT_EQ(fb.sizes(), torch::IntArrayRef({1025, 40}));
  EXPECT_GE(fb.min().item<double>(), 0.0);
  // Slaney norm: each triangle has peak 2/(f[m+2]-f[m]) and area ≈ 1 (in Hz).
  const double df = 8000.0 / 1024.0;
  const auto area = fb.sum(0) * df;
  for (int64_t m = 5; m < 40; ++m) EXPECT_NEAR(area[m].item<double>(), 1.0, 0.05) << m;
  o.n_mels = 0;
  EXPECT_THROW(mel_filterbank(o), ConfigError);
}

TEST(Stft, CentredFramesAndClampedMagnitude) {
  StftOptions o;
  o.n_fft = 64;
  o.hop_length = 16;
  o.win_length = 64;
  EXPECT_EQ(o.num_frames(1000), 1 + 1000 / 16);
  const auto x = torch::randn({2, 1000});
  const auto spec = stft(x, o);
  ASSERT_EQ(spec.sizes(), torch::IntArrayRef({2, 33, o.num_frames(1000)}));
  EXPECT_TRUE(spec.is_complex());
  const auto mag = clamped_magnitude(x, o, 1e-7, 1e3);
  ASSERT_EQ(mag.sizes(), torch::IntArrayRef({2, o.num_frames(1000), 33}));
  EXPECT_TENSOR_CLOSE(mag, spec.abs().pow(2).clamp(1e-7, 1e3).sqrt().transpose(1, 2), 1e-6, 1e-6);
  EXPECT_TENSOR_CLOSE(magnitude_spectrogram(x, o, 2.0), spec.abs().pow(2), 1e-5, 1e-5);
  EXPECT_THROW(stft(torch::zeros({2, 20}), o), ShapeError);  // too short to reflect-pad by 32
  o.win_length = 100;
  EXPECT_THROW(o.validate(), ConfigError);
}

TEST(MelSpectrogram, ShapesAndLinearityInMagnitude) {
  MelSpectrogramOptions o;
  o.stft.n_fft = 256;
  o.stft.win_length = 256;
  o.stft.hop_length = 64;
  o.mel.n_mels = 20;
  const MelSpectrogram mel(o);
  const auto x = torch::randn({3, 4000});
  const auto m = mel(x);
  ASSERT_EQ(m.sizes(), torch::IntArrayRef({3, 20, o.stft.num_frames(4000)}));
  EXPECT_TENSOR_CLOSE(mel(2.0 * x), 2.0 * m, 1e-5, 1e-5);  // power 1: magnitude scales linearly
  EXPECT_EQ(mel(x[0]).dim(), 2);
}

}  // namespace
}  // namespace xcodec::audio
