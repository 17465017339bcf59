// DwanCodec (spec quantizers-and-variants.md §5): config, ConvNeXt block, centre-mode ISTFT
// head, encoder framing, the default generator's size and key names, and the codec family
// (encode/decode lengths, training forward, inference files, strict loading).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <regex>
#include <set>

#include "support/test_support.h"
#include "xcodec/core/cpu_features.h"
#include "xcodec/core/error.h"
#include "xcodec/io/atomic_file.h"
#include "xcodec/io/safetensors.h"
#include "xcodec/models/codecs/dwan_codec.h"
#include "xcodec/models/discriminators/discriminator_set.h"
#include "xcodec/models/dwan/convnext_block.h"
#include "xcodec/models/dwan/dwan_config.h"
#include "xcodec/models/dwan/dwan_decoder.h"
#include "xcodec/models/dwan/dwan_encoder.h"
#include "xcodec/models/dwan/dwan_generator.h"
#include "xcodec/models/layers/state_dict.h"

namespace xm = xcodec::models;
using xcodec::testing::SeededTest;
using xcodec::testing::TempDir;

// Seeded (SeededTest), named so that --gtest_filter='Dwan*:HifiGan*' selects it.
class DwanTest : public SeededTest {};

namespace {

std::string config_path(const std::string& name) {
  return std::string(XCODEC_SOURCE_DIR) + "/configs/model/" + name + ".yaml";
}

int64_t count(const std::vector<torch::Tensor>& params) {
  int64_t n = 0;
  for (const auto& p : params) n += p.numel();
  return n;
}

// The default generator is 53 M parameters: build it once for the tests that need it.
xm::DwanGenerator& default_generator() {
  static xm::DwanGenerator g(xm::DwanConfig{});
  return g;
}

std::unique_ptr<xm::CodecModel> tiny_codec() {
  return xm::make_dwan_codec(xm::DwanConfig::from_yaml_file(config_path("dwan-tiny")));
}

double gelu(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }

}  // namespace

// ---- config --------------------------------------------------------------------------------

TEST(DwanConfig, ShippedFilesParseAndDefaultsAreTheOriginal) {
  const auto full = xm::DwanConfig::from_yaml_file(config_path("dwan24k"));
  EXPECT_EQ(full, xm::DwanConfig{});
  EXPECT_EQ(full.embed_dim(), 5);  // fsq: len(levels), no projections
  EXPECT_EQ(full.hop, 512);
  EXPECT_DOUBLE_EQ(full.frame_rate(), 46.875);
  EXPECT_DOUBLE_EQ(full.decoder_layer_scale_value(), 1.0 / std::sqrt(8.0));
  const auto tiny = xm::DwanConfig::from_yaml_file(config_path("dwan-tiny"));
  EXPECT_EQ(tiny.embed_dim(), 4);
  EXPECT_EQ(tiny.dims, (std::vector<int64_t>{16, 32, 32}));
}

TEST(DwanConfig, YamlRoundTripStartsWithName) {
  for (const auto& name : {"dwan24k", "dwan-tiny", "dwan-cpu"}) {
    const auto c = xm::DwanConfig::from_yaml_file(config_path(name));
    const std::string text = c.to_yaml();
    EXPECT_EQ(text.rfind("name: dwan", 0), 0u) << text;
    EXPECT_EQ(xm::DwanConfig::from_yaml(text), c) << name;
  }
}

TEST(DwanConfig, StrictKeysAndValidation) {
  try {
    xm::DwanConfig::from_yaml("name: dwan\nbogus_key: 1\n");
    FAIL() << "unknown key accepted";
  } catch (const xcodec::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("model.bogus_key"), std::string::npos) << e.what();
  }
  try {
    xm::DwanConfig::from_yaml("name: dwan\nhop: 256\n");
    FAIL() << "hop != product(strides) accepted";
  } catch (const xcodec::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("model.hop"), std::string::npos) << e.what();
  }
  EXPECT_THROW(xm::DwanConfig::from_yaml("name: xcodec2\n"), xcodec::ConfigError);
  EXPECT_THROW(xm::DwanConfig::from_yaml("levels: [1, 5]\n"), xcodec::ConfigError);
  EXPECT_THROW(xm::DwanConfig::from_yaml("strides: [8, 8, 8, 8]\nhop: 4096\ndims: [1, 2, 3]\n"),
               xcodec::ConfigError);
}

// ---- layers --------------------------------------------------------------------------------

// Every step of the spec's block computed by hand on a [1, 2, 3] input with chosen weights.
TEST_F(DwanTest, ConvNextBlockMatchesHandComputation) {
  xm::ConvNextBlock block(xm::ConvNextBlockOptions(/*dim=*/2, /*intermediate=*/3, /*k=*/3, 0.5));
  block->to(torch::kFloat64);  // before the weights are set: exact decimal weights
  const double x[2][3] = {{1.0, -2.0, 0.5}, {0.0, 3.0, -1.0}};
  const double dw[2][3] = {{0.2, -0.1, 0.3}, {0.5, 0.4, -0.2}};  // depthwise taps per channel
  const double dwb[2] = {0.1, -0.3};
  const double ln_w[2] = {1.5, 0.5};
  const double ln_b[2] = {0.2, -0.1};
  const double w1[3][2] = {{0.3, -0.7}, {1.1, 0.4}, {-0.5, 0.9}};
  const double b1[3] = {0.05, -0.2, 0.1};
  const double w2[2][3] = {{0.6, -0.3, 0.8}, {-0.4, 0.2, 0.5}};
  const double b2[2] = {-0.1, 0.3};
  {
    torch::NoGradGuard no_grad;
    for (int c = 0; c < 2; ++c) {
      for (int k = 0; k < 3; ++k) block->dwconv->weight[c][0][k] = dw[c][k];
      block->dwconv->bias[c] = dwb[c];
      block->norm->weight[c] = ln_w[c];
      block->norm->bias[c] = ln_b[c];
      for (int i = 0; i < 3; ++i) block->pwconv1->weight[i][c] = w1[i][c];
      for (int i = 0; i < 3; ++i) block->pwconv2->weight[c][i] = w2[c][i];
      block->pwconv2->bias[c] = b2[c];
    }
    for (int i = 0; i < 3; ++i) block->pwconv1->bias[i] = b1[i];
    block->gamma.fill_(0.5);
  }
  torch::Tensor input = torch::empty({1, 2, 3}, torch::kFloat64);
  for (int c = 0; c < 2; ++c)
    for (int t = 0; t < 3; ++t) input[0][c][t] = x[c][t];
  const torch::Tensor got = block->forward(input);

  torch::Tensor want = torch::empty({1, 2, 3}, torch::kFloat64);
  for (int t = 0; t < 3; ++t) {
    double h[2];
    for (int c = 0; c < 2; ++c) {  // depthwise conv, zero padding 1
      h[c] = dwb[c];
      for (int k = 0; k < 3; ++k) {
        const int s = t + k - 1;
        if (s >= 0 && s < 3) h[c] += dw[c][k] * x[c][s];
      }
    }
    const double mean = (h[0] + h[1]) / 2;
    const double var = ((h[0] - mean) * (h[0] - mean) + (h[1] - mean) * (h[1] - mean)) / 2;
    double n[2];
    for (int c = 0; c < 2; ++c) n[c] = (h[c] - mean) / std::sqrt(var + 1e-6) * ln_w[c] + ln_b[c];
    double a[3];
    for (int i = 0; i < 3; ++i) a[i] = gelu(w1[i][0] * n[0] + w1[i][1] * n[1] + b1[i]);
    for (int c = 0; c < 2; ++c) {
      const double y = w2[c][0] * a[0] + w2[c][1] * a[1] + w2[c][2] * a[2] + b2[c];
      want[0][c][t] = x[c][t] + 0.5 * y;
    }
  }
  EXPECT_TENSOR_CLOSE(got, want, 1e-12, 0.0);
}

// Centre mode gives (T − 1)·hop samples, zeroes DC and Nyquist (given magnitude 50 here, they
// would dominate), and inverts a spectrum of one bin (k = 2, magnitude 4; n_fft 16, hop 8) to
// the value worked out below from torch.istft's definition.
TEST_F(DwanTest, IstftHeadCentreModeLengthAndEdgeBins) {
  xm::DwanIstftHead head(/*dim=*/4, /*n_fft=*/16, /*hop=*/8);
  const int64_t bins = 9;
  {
    torch::NoGradGuard no_grad;
    head->out->weight.zero_();
    torch::Tensor logmag = torch::full({bins}, -100.0);  // exp → 0
    logmag[0] = std::log(50.0);                          // DC: must be dropped
    logmag[bins - 1] = std::log(50.0);                   // Nyquist: must be dropped
    logmag[2] = std::log(4.0);
    head->out->bias.copy_(torch::cat({logmag, torch::zeros({bins})}));
  }
  const torch::Tensor x = torch::randn({2, 5, 4});
  const xm::DwanHeadOutput o = head->forward_detailed(x);
  ASSERT_EQ(o.audio.sizes(), (std::vector<int64_t>{2, 1, 4 * 8}));
  EXPECT_EQ(torch::abs(o.spec.select(1, 0)).max().item<float>(), 0.0f);
  EXPECT_EQ(torch::abs(o.spec.select(1, bins - 1)).max().item<float>(), 0.0f);
  const torch::Tensor n = torch::arange(32, torch::kFloat32);
  // Every frame is c[j] = irfft(S)[j] = (2·4/16)·cos(2π·2j/16), and frame t starts at
  // t·hop − n_fft/2, so all frames agree on c(n) = 0.5·cos(πn/4). torch.istft returns
  // Σ_t c·w / Σ_t w² with w = sin²(πj/16): at 50 % overlap Σ w = 1 and Σ w² = sin⁴ + cos⁴ =
  // 1 − ½·sin²(πn/8).
  const torch::Tensor want =
      (0.5 * torch::cos(M_PI * n / 4.0) / (1.0 - 0.5 * torch::sin(M_PI * n / 8.0).square()))
          .expand({2, 1, 32});
  EXPECT_TENSOR_CLOSE(o.audio, want, 1e-5, 0.0);
  EXPECT_EQ(head->istft->window.size(0), 16);
}

TEST_F(DwanTest, EncoderFrameCountIsFloorOfLengthOverHop) {
  xm::DwanEncoderOptions o;
  o.dims = {4, 4, 4};
  o.depths = {1, 0, 1};
  o.out_dim = 3;
  xm::DwanEncoder enc(o);
  EXPECT_EQ(enc->hop(), 512);
  for (const int64_t length : {512, 1023, 1024, 1500, 24000}) {
    const torch::Tensor z = enc->forward(torch::randn({2, 1, length}));
    EXPECT_EQ(z.sizes(), (std::vector<int64_t>{2, length / 512, 3})) << length;
  }
  EXPECT_THROW(enc->forward(torch::randn({1, 1, 100})), xcodec::ShapeError);
  EXPECT_THROW(enc->forward(torch::randn({1, 2, 1024})), xcodec::ShapeError);
}

// ---- the default generator -----------------------------------------------------------------

TEST(DwanGenerator, DefaultParameterCounts) {
  auto& g = default_generator();
  EXPECT_EQ(count(g->parameters()), 52998535);
  EXPECT_EQ(count(g->enc->parameters()), 23822725);
  EXPECT_EQ(count(g->dec->parameters()), 29175810);
  EXPECT_EQ(count(g->quantizer->module()->parameters()), 0);
  // Layer scales: 1e-6 in the encoder, 1/sqrt(8) in the decoder.
  const auto params = g->named_parameters();
  EXPECT_FLOAT_EQ(params["enc.stages.2.1.8.gamma"][0].item<float>(), 1e-6f);
  EXPECT_FLOAT_EQ(params["dec.decoder.convnext.7.gamma"][0].item<float>(),
                  static_cast<float>(1.0 / std::sqrt(8.0)));
}

// The persistent state is exactly the spec's list of keys (so the original
// model_g_state_dict loads by name), with the shapes of the original.
TEST(DwanGenerator, KeyNamesMatchTheSpec) {
  auto& g = default_generator();
  std::map<std::string, std::vector<int64_t>> state;
  for (const auto& [key, tensor] : xm::persistent_state(*g)) state[key] = tensor.sizes().vec();
  const std::regex allowed(
      R"(enc\.stem\.(weight|bias)|)"
      R"(enc\.stages\.[0-2]\.0\.[01]\.(weight|bias)|)"
      R"(enc\.stages\.[0-2]\.1\.[0-8]\.(dwconv|norm|pwconv1|pwconv2)\.(weight|bias)|)"
      R"(enc\.stages\.[0-2]\.1\.[0-8]\.gamma|)"
      R"(enc\.final_norm\.(weight|bias)|enc\.final_proj\.(weight|bias)|)"
      R"(dec\.decoder\.(embed|norm|final_layer_norm)\.(weight|bias)|)"
      R"(dec\.decoder\.convnext\.[0-7]\.(dwconv|norm|pwconv1|pwconv2)\.(weight|bias)|)"
      R"(dec\.decoder\.convnext\.[0-7]\.gamma|)"
      R"(dec\.head\.out\.(weight|bias)|dec\.head\.istft\.window)");
  for (const auto& [key, shape] : state) EXPECT_TRUE(std::regex_match(key, allowed)) << key;
  // stem 2 + stages (4 + 9·blocks) + final 4 = 2 + 3·4 + 15·9 + 4; decoder 6 + 8·9 + 2 + 1.
  EXPECT_EQ(state.size(), 2u + 12u + 15u * 9u + 4u + 6u + 72u + 2u + 1u);
  const std::map<std::string, std::vector<int64_t>> want = {
      {"enc.stem.weight", {128, 1, 7}},
      {"enc.stages.0.0.0.weight", {128}},  // GroupNorm(1, 128)
      {"enc.stages.0.0.1.weight", {128, 128, 16}},
      {"enc.stages.1.0.1.weight", {256, 128, 16}},
      {"enc.stages.2.0.1.weight", {512, 256, 16}},
      {"enc.stages.2.1.8.dwconv.weight", {512, 1, 7}},
      {"enc.stages.2.1.8.pwconv1.weight", {2048, 512}},
      {"enc.final_norm.weight", {512}},
      {"enc.final_proj.weight", {5, 512}},
      {"dec.decoder.embed.weight", {768, 5, 1}},
      {"dec.decoder.convnext.0.dwconv.weight", {768, 1, 3}},
      {"dec.decoder.convnext.7.pwconv2.weight", {768, 2304}},
      {"dec.decoder.final_layer_norm.bias", {768}},
      {"dec.head.out.weight", {1026, 768}},
      {"dec.head.istft.window", {1024}},
  };
  for (const auto& [key, shape] : want) {
    ASSERT_TRUE(state.count(key)) << key;
    EXPECT_EQ(state[key], shape) << key;
  }
}

// ---- the codec -----------------------------------------------------------------------------

TEST_F(DwanTest, CodecLengthsAndRoundTripShapes) {
  auto codec = tiny_codec();
  const xm::CodecInfo info = codec->info();
  EXPECT_EQ(info.name, "dwan");
  EXPECT_EQ(info.sample_rate, 24000);
  EXPECT_EQ(info.hop_length, 512);
  EXPECT_EQ(info.num_quantizers, 1);
  EXPECT_EQ(info.codebook_size, 1000);
  EXPECT_EQ(info.quantizer, "fsq");
  EXPECT_EQ(codec->padded_length(0), 512);
  EXPECT_EQ(codec->padded_length(512), 1024);
  EXPECT_EQ(codec->padded_length(513), 1536);
  for (const int64_t n : {1, 511, 512, 513, 10000, 24000}) {
    const int64_t padded = codec->padded_length(n);
    EXPECT_EQ(padded % 512, 0);
    EXPECT_GE(codec->decoded_length(padded / 512), n) << n;
  }

  const int64_t n = 10000;
  const torch::Tensor wave = torch::nn::functional::pad(
      0.1 * torch::randn({2, 1, n}),
      torch::nn::functional::PadFuncOptions({0, codec->padded_length(n) - n}));
  const torch::Tensor codes = codec->encode(wave);
  ASSERT_EQ(codes.sizes(), (std::vector<int64_t>{2, 1, 21}));
  EXPECT_EQ(codes.scalar_type(), torch::kInt32);
  EXPECT_GE(codes.min().item<int>(), 0);
  EXPECT_LT(codes.max().item<int>(), 1000);
  const torch::Tensor audio = codec->decode(codes);
  EXPECT_EQ(audio.sizes(), (std::vector<int64_t>{2, 1, codec->decoded_length(21)}));
  EXPECT_EQ(codec->decoded_length(21), 20 * 512);
  EXPECT_GE(audio.size(2), n);
  EXPECT_TRUE(torch::isfinite(audio).all().item<bool>());
  EXPECT_THROW(codec->decode(torch::full({1, 1, 3}, 1000, torch::kInt32)), xcodec::ShapeError);
  EXPECT_THROW(codec->decode(torch::zeros({1, 2, 3}, torch::kInt32)), xcodec::ShapeError);
}

// head_upsample (ours): the head runs at hop / r behind a sub-frame Linear; lengths, training
// output and the YAML key stay consistent, and without it the original's keys are unchanged.
TEST_F(DwanTest, HeadUpsampleKeepsLengthsAtAFinerIstftHop) {
  auto config = xm::DwanConfig::from_yaml_file(config_path("dwan-tiny"));
  EXPECT_EQ(config.to_yaml().find("head_upsample"), std::string::npos);
  config.head_upsample = 4;
  EXPECT_EQ(xm::DwanConfig::from_yaml(config.to_yaml()), config);
  EXPECT_THROW(xm::DwanConfig::from_yaml("name: dwan\nhead_upsample: 3\n"), xcodec::ConfigError);
  auto codec = xm::make_dwan_codec(config);
  const auto params = codec->module().named_parameters();
  EXPECT_TRUE(params.contains("dec.upsample.proj.weight"));
  EXPECT_EQ(params["dec.head.out.weight"].size(0), 1024 / 4 + 2);
  codec->prepare_for_inference();
  const torch::Tensor wave = 0.1 * torch::randn({1, 1, 512 * 9});
  const torch::Tensor codes = codec->encode(wave);
  ASSERT_EQ(codes.size(2), 9);
  const torch::Tensor audio = codec->decode(codes);
  EXPECT_EQ(audio.sizes(), (std::vector<int64_t>{1, 1, codec->decoded_length(9)}));
  EXPECT_TRUE(torch::isfinite(audio).all().item<bool>());
  codec->prepare_for_training();
  const auto out = codec->forward_train(wave, {});
  EXPECT_EQ(out.recon.sizes(), out.target.sizes());
  EXPECT_FALSE(tiny_codec()->module().named_parameters().contains("dec.upsample.proj.weight"));
}

TEST_F(DwanTest, CodecForwardTrain) {
  xm::CodecBuildOptions options;
  options.training = true;
  auto codec =
      xm::make_dwan_codec(xm::DwanConfig::from_yaml_file(config_path("dwan-tiny")), options);
  EXPECT_EQ(codec->loss_names(), std::vector<std::string>{"codebook"});
  const torch::Tensor wave = 0.1 * torch::randn({2, 1, 24000});
  const xm::CodecTrainOutput out = codec->forward_train(wave, {});
  ASSERT_EQ(out.recon.sizes(), (std::vector<int64_t>{2, 1, 45 * 512}));
  EXPECT_TRUE(torch::equal(out.target, wave.narrow(2, 0, 45 * 512)));
  EXPECT_EQ(out.codes.sizes(), (std::vector<int64_t>{2, 1, 46}));
  EXPECT_EQ(out.codes.scalar_type(), torch::kInt32);
  ASSERT_TRUE(out.losses.count("codebook"));
  EXPECT_EQ(out.losses.at("codebook").item<float>(), 0.0f);  // FSQ has no loss
  for (const auto& [key, value] : out.diagnostics) EXPECT_EQ(key.rfind("quantizer/", 0), 0u);
  (out.recon - out.target).abs().mean().backward();
  for (const auto& p : codec->encoder_parameters()) {
    ASSERT_TRUE(p.grad().defined());
  }
  EXPECT_GT(count(codec->encoder_parameters()), 0);
  EXPECT_GT(codec->encoder_parameters()[0].grad().abs().sum().item<float>(), 0.0f);
  EXPECT_THROW(codec->forward_train(torch::randn({1, 1, 900}), {}), xcodec::ShapeError);
}

// An inference file loads (by the family and registry-free) into a codec that decodes alike.
TEST_F(DwanTest, CodecSaveAndLoadDecodeIdentically) {
  TempDir dir;
  const std::string path = dir.str() + "/dwan.safetensors";
  auto codec = tiny_codec();
  codec->save_inference_file(path, {{"card", "test"}});
  const auto file = xcodec::io::SafetensorsFile::open(path);
  EXPECT_EQ(file->metadata().at("xcodec.format_version"), "1");
  EXPECT_EQ(file->metadata().at("xcodec.model"), "dwan");
  EXPECT_EQ(file->metadata().at("xcodec.config"), codec->config_yaml());
  EXPECT_EQ(file->metadata().at("card"), "test");

  const torch::Tensor codes = torch::randint(0, 1000, {1, 1, 12}, torch::kInt32);
  const torch::Tensor want = codec->decode(codes);

  torch::manual_seed(99);  // different random init
  auto fresh = tiny_codec();
  EXPECT_FALSE(torch::equal(fresh->decode(codes), want));
  fresh->load_weights(path);
  EXPECT_TRUE(torch::equal(fresh->decode(codes), want));

  auto loaded = xm::dwan_codec_family().load(path, {});
  EXPECT_TRUE(torch::equal(loaded->decode(codes), want));
  EXPECT_EQ(loaded->config_yaml(), codec->config_yaml());
}

TEST_F(DwanTest, CodecStrictLoadNamesTheMissingKey) {
  TempDir dir;
  const std::string path = dir.str() + "/partial.safetensors";
  auto codec = tiny_codec();
  auto state = xm::persistent_state(codec->module());
  state.erase(std::remove_if(state.begin(), state.end(),
                             [](const auto& kv) { return kv.first == "dec.head.out.bias"; }),
              state.end());
  xcodec::io::save_safetensors(path, state);
  try {
    codec->load_weights(path);
    FAIL() << "a file without dec.head.out.bias loaded";
  } catch (const xcodec::CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("dec.head.out.bias"), std::string::npos) << e.what();
  }
  // A file of another family is refused by name.
  const std::string other = dir.str() + "/other.safetensors";
  xcodec::io::save_safetensors(other, xm::persistent_state(codec->module()),
                               {{"xcodec.model", "xcodec2"}});
  EXPECT_THROW(codec->load_weights(other), xcodec::CheckpointError);
}

// The family and the discriminator set are reachable by name through the registries.
TEST_F(DwanTest, RegisteredByName) {
  const std::string yaml = xcodec::io::read_file(config_path("dwan-tiny"));
  EXPECT_EQ(xm::codec_name_of(yaml), "dwan");
  auto codec = xm::build_codec(yaml, {});
  EXPECT_EQ(codec->info().name, "dwan");
  TempDir dir;
  const std::string path = dir.str() + "/dwan.safetensors";
  codec->save_inference_file(path, {});
  EXPECT_EQ(xm::codec_name_of_file(path), "dwan");
  const torch::Tensor codes = torch::randint(0, 1000, {1, 1, 6}, torch::kInt32);
  EXPECT_TRUE(torch::equal(xm::load_codec(path)->decode(codes), codec->decode(codes)));

  const YAML::Node group =
      YAML::LoadFile(std::string(XCODEC_SOURCE_DIR) + "/configs/discriminator/dwan-tiny.yaml");
  auto disc = xm::make_discriminator_set(group);
  ASSERT_TRUE(disc);
  EXPECT_EQ(disc->name(), "hifigan");
}

// bf16 inference: the encoder and the decoder backbone run their convolutions and linear layers
// in bfloat16 (float32 accumulation) on CPUs with native bf16; elsewhere the lowering is refused
// with the reason. Back to float32 it is bit-exact again.
TEST_F(DwanTest, CodecBf16InferenceStaysCloseToFloat32) {
  auto codec = tiny_codec();
  const torch::Tensor wave = 0.1 * torch::randn({1, 1, 4096});
  // Random codes: a fresh encoder maps most inputs to the all-zero code, whose decoding does
  // not depend on the backbone (zero latents, zero biases).
  const torch::Tensor codes = torch::randint(0, 1000, {1, 1, 8}, torch::kInt32);
  const torch::Tensor want = codec->decode(codes);
  const auto& cpu = xcodec::cpu_bf16_support();
  if (!cpu.native) {
    EXPECT_THROW(codec->set_compute_precision(xm::ComputePrecision::kBFloat16),
                 xcodec::ConfigError);
    GTEST_SKIP() << "no native bf16: " << cpu.reason;
  }
  codec->set_compute_precision(xm::ComputePrecision::kBFloat16);
  const torch::Tensor got = codec->decode(codes);
  EXPECT_FALSE(torch::equal(got, want));  // the 16-bit path did run
  const double scale = want.abs().max().item<double>();
  EXPECT_LT((got - want).abs().max().item<double>(), 0.05 * scale);
  EXPECT_EQ(codec->encode(wave).sizes(), codes.sizes());  // the lowered encoder runs
  codec->set_compute_precision(xm::ComputePrecision::kFloat32);
  EXPECT_TRUE(torch::equal(codec->decode(codes), want));
}
