// XCodec2Config: shipped YAML files, presets, YAML/JSON parsing and validation errors.
#include <gtest/gtest.h>

#include "support/test_support.h"
#include "xcodec/core/error.h"
#include "xcodec/models/codecs/xcodec2_config.h"
#include "xcodec/models/decoder/codec_decoder_vocos.h"

namespace xm = xcodec::models;

namespace {

std::string config_path(const std::string& name) {
  return std::string(XCODEC_SOURCE_DIR) + "/configs/model/" + name + ".yaml";
}

TEST(Xcodec2Config, ShippedFilesEqualPresets) {
  for (const auto& name : xm::XCodec2Config::preset_names()) {
    EXPECT_EQ(xm::XCodec2Config::from_yaml_file(config_path(name)), xm::XCodec2Config::preset(name))
        << name;
  }
  EXPECT_EQ(xm::XCodec2Config::preset("xcodec2"), xm::XCodec2Config{});
}

TEST(Xcodec2Config, DefaultsAreTheOriginal) {
  const xm::XCodec2Config c;
  EXPECT_EQ(c.hop_length(), 320);
  EXPECT_EQ(c.codec_encoder.hop_length(), 320);
  EXPECT_EQ(c.codec_encoder.final_channels(), 1536);
  EXPECT_DOUBLE_EQ(c.frame_rate(), 50.0);
  EXPECT_EQ(c.fusion_dim(), 2048);
  EXPECT_EQ(c.codec_decoder.n_fft(), 1280);
  EXPECT_NO_THROW(c.validate());
}

TEST(Xcodec2Config, YamlRoundTrip) {
  for (const auto& name : xm::XCodec2Config::preset_names()) {
    const auto c = xm::XCodec2Config::preset(name);
    EXPECT_EQ(xm::XCodec2Config::from_yaml(c.to_yaml()), c) << name;
  }
}

TEST(Xcodec2Config, FixtureJsonEqualsSmallPreset) {
  const auto c =
      xm::XCodec2Config::from_json_file(xcodec::testing::fixture_path("xcodec2-small/config.json"));
  EXPECT_EQ(c, xm::XCodec2Config::preset("xcodec2-small"));
}

TEST(Xcodec2Config, OriginalUnusedKeysAreAccepted) {
  const auto c = xm::XCodec2Config::from_yaml(
      "codec_encoder: {depth: 12, heads: 12, pos_meb_dim: 64}\n"
      "codec_decoder: {vq_commit_weight: 0.25, codebook_size: 16384, codebook_dim: 16}\n");
  EXPECT_EQ(c, xm::XCodec2Config{});
}

void expect_config_error(const std::string& yaml, const std::string& key) {
  try {
    xm::XCodec2Config::from_yaml(yaml);
    ADD_FAILURE() << "no error for " << yaml;
  } catch (const xcodec::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
  }
}

TEST(Xcodec2Config, ErrorsNameTheKey) {
  expect_config_error("codec_encoder: {ngff: 3}", "codec_encoder.ngff");
  expect_config_error("foo: 1", "foo");
  expect_config_error("codec_encoder: {ngf: 0}", "codec_encoder.ngf");
  expect_config_error("codec_encoder: {up_ratios: [2, 2]}", "codec_decoder.hop_length");
  expect_config_error("codec_decoder: {heads: 7}", "codec_decoder.heads");
  expect_config_error("codec_decoder: {pos_meb_dim: 32}", "codec_decoder.pos_meb_dim");
  expect_config_error("codec_decoder: {levels: [4, 1]}", "codec_decoder.levels");
  expect_config_error("semantic: {kernel_size: 2}", "semantic.kernel_size");
  expect_config_error("codec_decoder: {depth: abc}", "codec_decoder.depth");
  expect_config_error("sample_rate: [1", "invalid YAML");
  expect_config_error("codec_decoder: {head_upsample: 3}", "codec_decoder.head_upsample");
  expect_config_error("codec_decoder: {dropout: 1.5}", "codec_decoder.dropout");
  EXPECT_THROW(xm::XCodec2Config::preset("nope"), xcodec::ConfigError);
  try {
    xm::XCodec2Config::preset("nope");
  } catch (const xcodec::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("xcodec2-small"), std::string::npos);
  }
}

// head_upsample: the head runs at hop / r with n_fft = 4·hop / r behind a ConvTranspose1d; the
// output keeps hop samples per token; the keys round-trip and the original's YAML is unchanged.
TEST(Xcodec2Config, HeadUpsampleRunsTheHeadAtAFinerHop) {
  auto c = xm::XCodec2Config::preset("tiny");
  const std::string plain = c.to_yaml();
  EXPECT_EQ(plain.find("head_upsample"), std::string::npos);
  EXPECT_EQ(plain.find("dropout"), std::string::npos);
  c.codec_decoder.head_upsample = 4;
  c.codec_decoder.dropout = 0.0;
  const auto back = xm::XCodec2Config::from_yaml(c.to_yaml());
  EXPECT_EQ(back, c);
  EXPECT_FALSE(back == xm::XCodec2Config::preset("tiny"));
  EXPECT_EQ(c.codec_decoder.head_hop(), c.hop_length() / 4);
  EXPECT_EQ(c.codec_decoder.n_fft(), c.hop_length());

  torch::manual_seed(0);
  xm::CodecDecoderVocos decoder(c.codec_decoder);
  ASSERT_TRUE(decoder->upsample);
  EXPECT_EQ(decoder->head->istft->options.hop_length, c.hop_length() / 4);
  const auto state = decoder->named_parameters();
  EXPECT_TRUE(state.contains("upsample.proj.weight"));
  decoder->eval();
  const auto h = torch::randn({2, 7, c.codec_decoder.hidden_dim});
  const auto audio = decoder->forward(h);
  EXPECT_EQ(audio.sizes(), (torch::IntArrayRef{2, 1, 7 * c.hop_length()}));
  EXPECT_TRUE(torch::isfinite(audio).all().item<bool>());
  // Without the option there is no upsample module (the original's keys).
  xm::CodecDecoderVocos plain_decoder(xm::XCodec2Config::preset("tiny").codec_decoder);
  EXPECT_FALSE(plain_decoder->upsample);
  EXPECT_FALSE(plain_decoder->named_parameters().contains("upsample.proj.weight"));
}

}  // namespace
