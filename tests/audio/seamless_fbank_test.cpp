#include "xcodec/audio/seamless_fbank.h"

#include <torch/torch.h>

#include <fstream>

#include "support/test_support.h"
#include "xcodec/core/error.h"

namespace xcodec::audio {
namespace {

using xcodec::testing::fixture_path;
using xcodec::testing::load_fixture;
using xcodec::testing::TempDir;

constexpr const char* kDir = "w2vbert-tiny/";
// Tolerances stated in w2vbert-tiny/README.md: atol 1e-3 on the log-mel bank and on the
// normalised features; attention masks must match exactly.
constexpr double kAtol = 1e-3;

SeamlessFbank fixture_extractor() {
  return SeamlessFbank(SeamlessFbankOptions::from_preprocessor_config(
      fixture_path(std::string(kDir) + "preprocessor_config.json")));
}

// The unpadded 2.13 s excerpt: fe_xcodec_input_wav is [160 zeros | excerpt | zeros to a multiple
// of 320 | 160 zeros].
torch::Tensor excerpt() {
  return load_fixture(std::string(kDir) + "fe_xcodec_input_wav.npy").slice(0, 160, 160 + 34080);
}

TEST(SeamlessFbankParity, XcodecPaddedLogMel) {
  const auto wav = load_fixture(std::string(kDir) + "fe_xcodec_input_wav.npy");
  const auto want = load_fixture(std::string(kDir) + "fe_xcodec_fbank.npy");
  const auto got = fixture_extractor().log_mel(wav);
  EXPECT_EQ(got.scalar_type(), torch::kFloat32);
  EXPECT_TENSOR_CLOSE(got, want, kAtol, 0.0);
}

TEST(SeamlessFbankParity, XcodecPaddedFeatures) {
  const auto wav = load_fixture(std::string(kDir) + "fe_xcodec_input_wav.npy");
  const auto want = load_fixture(std::string(kDir) + "fe_xcodec_input_features.npy");
  const auto want_mask = load_fixture(std::string(kDir) + "fe_xcodec_attention_mask.npy");
  const auto got = fixture_extractor()(wav);
  EXPECT_TENSOR_CLOSE(got.input_features, want, kAtol, 0.0);
  ASSERT_EQ(got.attention_mask.sizes(), want_mask.sizes());
  EXPECT_TRUE(torch::equal(got.attention_mask, want_mask));
}

TEST(SeamlessFbankParity, XcodecAlignmentHelpersRebuildTheFixtureInput) {
  const auto wav = load_fixture(std::string(kDir) + "fe_xcodec_input_wav.npy");
  const auto aligned = xcodec2_pad_to_hop(excerpt());
  EXPECT_EQ(aligned.size(0), 34240);
  const auto padded = xcodec2_semantic_pad(aligned);
  EXPECT_TRUE(torch::equal(padded, wav));
  const auto feats = fixture_extractor()(padded.unsqueeze(0));
  EXPECT_EQ(feats.input_features.size(1), aligned.size(0) / kXcodec2Hop);
}

TEST(SeamlessFbankParity, RawExcerptWithOddFrameCount) {
  const auto want = load_fixture(std::string(kDir) + "fe_raw_input_features.npy");
  const auto want_mask = load_fixture(std::string(kDir) + "fe_raw_attention_mask.npy");
  const auto fbank = fixture_extractor();
  EXPECT_EQ(fbank.num_frames(34080), 211);
  const auto got = fbank(excerpt());
  EXPECT_TENSOR_CLOSE(got.input_features, want, kAtol, 0.0);
  EXPECT_TRUE(torch::equal(got.attention_mask, want_mask));
  // The padding frame (second half of the last stacked frame) is exactly padding_value.
  EXPECT_TRUE(torch::all(got.input_features[0][105].slice(0, 80) == 1.0f).item<bool>());
}

TEST(SeamlessFbankParity, BatchOfDifferentLengths) {
  const auto want = load_fixture(std::string(kDir) + "fe_batch_input_features.npy");
  const auto want_mask = load_fixture(std::string(kDir) + "fe_batch_attention_mask.npy");
  const auto second = load_fixture(std::string(kDir) + "fe_batch_input_wav_1.npy");
  const auto got = fixture_extractor()(std::vector<torch::Tensor>{excerpt(), second});
  EXPECT_TENSOR_CLOSE(got.input_features, want, kAtol, 0.0);
  EXPECT_TRUE(torch::equal(got.attention_mask, want_mask));
}

TEST(SeamlessFbank, WindowAndMelFiltersMatchReferenceValues) {
  const SeamlessFbank fbank;
  const auto w = fbank.window();
  ASSERT_EQ(w.size(0), 400);
  EXPECT_NEAR(w[0].item<double>(), 0.0, 1e-12);
  EXPECT_NEAR(w[1].item<double>(), 2.6515e-4, 1e-8);
  EXPECT_NEAR(w[10].item<double>(), 1.32659e-2, 1e-7);
  EXPECT_NEAR(w[199].item<double>(), 0.99998683, 1e-8);
  EXPECT_NEAR(w[200].item<double>(), 0.99998683, 1e-8);
  EXPECT_NEAR(w[399].item<double>(), 0.0, 1e-12);

  const auto m = fbank.mel_filters();
  ASSERT_EQ(m.sizes(), (torch::IntArrayRef{257, 80}));
  EXPECT_NEAR(m.select(1, 0).sum().item<double>(), 0.639707, 1e-6);
  EXPECT_NEAR(m.select(1, 79).sum().item<double>(), 8.290835, 1e-6);
  const auto nz0 = torch::nonzero(m.select(1, 0)).flatten();
  EXPECT_EQ(nz0[0].item<int64_t>(), 1);
  EXPECT_EQ(nz0[-1].item<int64_t>(), 2);
  const auto nz79 = torch::nonzero(m.select(1, 79)).flatten();
  EXPECT_EQ(nz79[0].item<int64_t>(), 240);
  EXPECT_EQ(nz79[-1].item<int64_t>(), 255);
  EXPECT_EQ(m[256].abs().sum().item<double>(), 0.0);
  EXPECT_TRUE(torch::all(m.sum(0) > 0).item<bool>());
}

TEST(SeamlessFbank, EqualLengthBatchNormalisesEachRowOnItsOwn) {
  torch::manual_seed(3);
  const auto a = 0.1 * torch::randn({3000});
  const auto b = 0.5 * torch::randn({3000});
  const SeamlessFbank fbank;
  const auto both = fbank(torch::stack({a, b}));
  const auto fa = fbank(a);
  const auto fb = fbank(b);
  EXPECT_TENSOR_CLOSE(both.input_features[0], fa.input_features[0], 1e-6, 0.0);
  EXPECT_TENSOR_CLOSE(both.input_features[1], fb.input_features[0], 1e-6, 0.0);
  // 3000 samples → 17 frames (odd) → 9 stacked frames, last one masked.
  EXPECT_EQ(both.input_features.sizes(), (torch::IntArrayRef{2, 9, 160}));
  EXPECT_EQ(both.attention_mask.sum().item<int64_t>(), 16);
  EXPECT_EQ(both.attention_mask[0][8].item<int64_t>(), 0);
  // The list API with equal lengths gives the same thing.
  const auto listed = fbank(std::vector<torch::Tensor>{a, b});
  EXPECT_TRUE(torch::equal(listed.input_features, both.input_features));
  EXPECT_TRUE(torch::equal(listed.attention_mask, both.attention_mask));
}

TEST(SeamlessFbank, NormalisedFeaturesHaveZeroMeanUnitUnbiasedVariance) {
  torch::manual_seed(4);
  const SeamlessFbank fbank;
  const auto feats = fbank(0.3 * torch::randn({16 * 320})).input_features;  // 32 frames, even
  const auto frames = feats.reshape({-1, 80});
  EXPECT_TENSOR_CLOSE(frames.mean(0), torch::zeros({80}), 1e-5, 0.0);
  EXPECT_TENSOR_CLOSE(frames.var(torch::IntArrayRef{0}, /*unbiased=*/true), torch::ones({80}), 1e-4,
                      0.0);
}

TEST(SeamlessFbank, Xcodec2PaddingAlwaysAddsOneToAFullHop) {
  EXPECT_EQ(xcodec2_pad_to_hop(torch::zeros({16000})).size(0), 16320);  // 16000 % 320 == 0
  EXPECT_EQ(xcodec2_pad_to_hop(torch::zeros({16001})).size(0), 16320);
  EXPECT_EQ(xcodec2_pad_to_hop(torch::zeros({2, 319})).size(1), 320);
  const auto x = torch::randn({1, 700});
  const auto p = xcodec2_pad_to_hop(x);
  EXPECT_TRUE(torch::equal(p.slice(1, 0, 700), x));
  EXPECT_EQ(p.slice(1, 700).abs().sum().item<float>(), 0.0f);

  const SeamlessFbank fbank;
  for (int64_t n : {1, 320, 16000, 48000, 96000 - 1}) {
    const int64_t aligned = xcodec2_pad_to_hop(torch::zeros({n})).size(0);
    const int64_t fe_samples = xcodec2_semantic_pad(torch::zeros({aligned})).size(0);
    EXPECT_EQ(fe_samples, aligned + 320);
    EXPECT_EQ(fbank.num_frames(fe_samples), 2 * aligned / 320) << n;
    EXPECT_EQ(fbank.num_output_frames(fe_samples), aligned / 320) << n;
  }
  EXPECT_THROW(xcodec2_semantic_pad(torch::zeros({1, 1000})), ShapeError);
}

TEST(SeamlessFbank, RejectsTooShortInputsAndBadShapes) {
  const SeamlessFbank fbank;
  EXPECT_EQ(fbank.num_frames(399), 0);
  EXPECT_EQ(fbank.num_frames(400), 1);
  EXPECT_THROW(fbank.log_mel(torch::zeros({399})), ShapeError);
  EXPECT_THROW(fbank(torch::zeros({1, 1, 800})), ShapeError);
  EXPECT_THROW(fbank(std::vector<torch::Tensor>{}), ShapeError);
}

TEST(SeamlessFbank, ReadsAndChecksPreprocessorConfig) {
  const auto o = SeamlessFbankOptions::from_preprocessor_config(
      fixture_path(std::string(kDir) + "preprocessor_config.json"));
  EXPECT_EQ(o.num_mel_bins, 80);
  EXPECT_EQ(o.sample_rate, 16000);
  EXPECT_EQ(o.stride, 2);
  EXPECT_EQ(o.padding_value, 1.0);

  TempDir dir;
  const std::string path = (dir.path() / "preprocessor_config.json").string();
  std::ofstream(path) << R"({"feature_size": 80, "padding_side": "left"})";
  try {
    SeamlessFbankOptions::from_preprocessor_config(path);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("padding_side"), std::string::npos) << e.what();
  }
  std::ofstream(path, std::ios::trunc) << R"({"stride": "two"})";
  EXPECT_THROW(SeamlessFbankOptions::from_preprocessor_config(path), ConfigError);
}

}  // namespace
}  // namespace xcodec::audio
