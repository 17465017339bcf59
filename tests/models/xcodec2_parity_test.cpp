// Parity of the X-Codec-2.0 model against the reference fixtures of the original Python code
// (../shared/fixtures/xcodec2-small, see its README). Every size comes from the fixture's
// config.json and every tolerance from its manifest.json; nothing about the fixture is
// hard-coded. Each stage is fed with the fixture input of that stage, plus chained runs.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "xcodec/models/codecs/xcodec2_model.h"
#include "xcodec/models/encoder/encoder_block.h"
#include "xcodec/models/layers/activation1d.h"
#include "xcodec/models/layers/residual_unit.h"
#include "xcodec/models/layers/wn_conv1d.h"

namespace xm = xcodec::models;
using xcodec::testing::fixture_path;

namespace {

constexpr const char* kDir = "xcodec2-small/";
constexpr double kRtol = 1e-4;  // README: extra headroom for a different BLAS/conv backend

const nlohmann::json& manifest() {
  static const nlohmann::json m = [] {
    std::ifstream in(fixture_path(std::string(kDir) + "manifest.json"));
    nlohmann::json j;
    if (in) in >> j;
    return j;
  }();
  return m;
}

double atol(const std::string& name) {
  const auto& files = manifest().at("files");
  const std::string key = name + ".npy";
  if (!files.contains(key)) {
    ADD_FAILURE() << "manifest has no entry for " << key;
    return 0.0;
  }
  return files.at(key).at("suggested_atol").get<double>();
}

torch::Tensor golden(const std::string& name) {
  return xcodec::testing::load_fixture(std::string(kDir) + name + ".npy");
}

#define EXPECT_STAGE(got, name) EXPECT_TENSOR_CLOSE((got), golden(name), atol(name), kRtol) << name

class Xcodec2Parity : public xcodec::testing::SeededTest {
 protected:
  static xm::XCodec2Model& model() {
    static xm::XCodec2Model m = [] {
      const auto config =
          xm::XCodec2Config::from_json_file(fixture_path(std::string(kDir) + "config.json"));
      xm::XCodec2Model model(config, /*with_training_heads=*/true);
      const auto report =
          model->load_weights(fixture_path(std::string(kDir) + "model.safetensors"));
      EXPECT_TRUE(report.ok()) << report.summary();
      EXPECT_TRUE(report.missing_optional.empty());
      model->prepare_for_inference();
      return model;
    }();
    return m;
  }
  void SetUp() override {
    SeededTest::SetUp();
    model();
  }
  c10::InferenceMode guard_;
};

TEST_F(Xcodec2Parity, ConfigMatchesFixtureShapes) {
  const auto& c = model()->config;
  const auto& in = manifest().at("config").at("input");
  EXPECT_EQ(in.at("padded_samples").get<int64_t>(),
            in.at("num_samples").get<int64_t>() +
                xm::padding_for(in.at("num_samples").get<int64_t>(), c.hop_length()));
  EXPECT_EQ(golden("input_padded").size(2) / c.hop_length(), in.at("frames").get<int64_t>());
}

TEST_F(Xcodec2Parity, InputPadding) {
  const torch::Tensor wav = golden("wav");
  const torch::Tensor padded =
      xm::pad_for_encoding(wav.view({1, 1, -1}), model()->config.hop_length());
  EXPECT_TENSOR_CLOSE(padded, golden("input_padded"), 0.0, 0.0);
}

TEST_F(Xcodec2Parity, CodecEncoderPerLayer) {
  auto enc = model()->CodecEnc;
  const torch::Tensor x = golden("lw_input");
  const auto layers = enc->forward_layers(x);
  const size_t n_blocks = enc->options.up_ratios.size();
  ASSERT_EQ(layers.size(), n_blocks + 3);
  for (size_t i = 0; i <= n_blocks; ++i)
    EXPECT_STAGE(layers[i], "lw_enc_block_" + std::to_string(i));
  EXPECT_STAGE(layers[n_blocks + 1], "lw_enc_final_act");
  EXPECT_STAGE(layers[n_blocks + 2], "lw_enc_out");
}

TEST_F(Xcodec2Parity, Activation1dStages) {
  // CodecEnc.conv_blocks[1].block[0].block[0], fed with lw_enc_block_0.
  auto block1 = model()->CodecEnc->conv_blocks[1]->as<xm::EncoderBlockImpl>();
  ASSERT_NE(block1, nullptr);
  auto unit0 = block1->block[0]->as<xm::ResidualUnitImpl>();
  auto act = unit0->block[0]->as<xm::Activation1dImpl>();
  const torch::Tensor x = golden("lw_enc_block_0");
  const torch::Tensor up = act->upsample->forward(x);
  EXPECT_STAGE(up, "lw_act1d_upsampled");
  const torch::Tensor snake = act->act->forward(up);
  EXPECT_STAGE(snake, "lw_act1d_snake");
  EXPECT_STAGE(act->downsample->forward(snake), "lw_act1d_out");
  EXPECT_STAGE(act->forward_reference(x), "lw_act1d_out");
  EXPECT_STAGE(act->forward(x), "lw_act1d_out");  // polyphase fast path
}

TEST_F(Xcodec2Parity, CodecEncoderFull) {
  EXPECT_STAGE(model()->CodecEnc->forward(golden("input_padded")), "enc_out");
}

TEST_F(Xcodec2Parity, SemanticEncoder) {
  auto sem = model()->SemanticEncoder_module;
  const torch::Tensor x = golden("semantic_in").transpose(1, 2);
  EXPECT_STAGE(sem->initial_conv->forward(x), "sem_enc_initial_conv");
  EXPECT_STAGE(sem->forward(x), "sem_enc_out");
}

TEST_F(Xcodec2Parity, FusionAndQuantizer) {
  auto& m = model();
  const torch::Tensor concat =
      torch::cat({golden("sem_enc_out"), golden("enc_out").transpose(1, 2)}, 1);
  EXPECT_STAGE(concat, "concat");
  const torch::Tensor fused =
      m->fc_prior->forward(golden("concat").transpose(1, 2)).transpose(1, 2);
  EXPECT_STAGE(fused, "fc_prior_out");
  EXPECT_STAGE(golden("fc_prior_out").permute({0, 2, 1}), "quantizer_in");
  const auto q = m->generator->quantize(golden("fc_prior_out"));
  EXPECT_STAGE(q.projected, "fsq_project_in");
  EXPECT_STAGE(q.bounded, "fsq_bounded");
  EXPECT_STAGE(q.codes, "fsq_codes_norm");
  EXPECT_EQ(q.indices.scalar_type(), torch::kInt32);
  EXPECT_TRUE(torch::equal(q.indices.permute({0, 2, 1}).to(torch::kInt64), golden("codes")))
      << "codes differ";
  EXPECT_STAGE(q.quantized.permute({0, 2, 1}), "quantized");
}

TEST_F(Xcodec2Parity, DecoderStages) {
  auto& m = model();
  const torch::Tensor post_a = m->fc_post_a->forward(golden("quantized").transpose(1, 2));
  EXPECT_STAGE(post_a, "fc_post_a_out");
  const auto s = m->generator->backbone->forward_stages(golden("fc_post_a_out"));
  EXPECT_STAGE(s.embed, "backbone_embed");
  EXPECT_STAGE(s.prior_net, "backbone_prior_net");
  ASSERT_EQ(static_cast<int64_t>(s.transformers.size()), m->config.codec_decoder.depth);
  for (size_t i = 0; i < s.transformers.size(); ++i)
    EXPECT_STAGE(s.transformers[i], "backbone_transformer_" + std::to_string(i));
  EXPECT_STAGE(s.post_net, "backbone_post_net");
  EXPECT_STAGE(s.out, "backbone_out");
  const auto h = m->generator->head->forward_detailed(golden("backbone_out"));
  EXPECT_STAGE(h.mag, "head_mag");
  EXPECT_STAGE(h.phase, "head_phase");
  EXPECT_STAGE(h.audio, "wav_out");
}

TEST_F(Xcodec2Parity, DecodeFromCodes) {
  auto& m = model();
  const torch::Tensor codes = golden("codes");
  EXPECT_STAGE(m->codes_to_quantized(codes).transpose(1, 2), "from_codes_quantized");
  EXPECT_STAGE(m->decode(codes), "from_codes_wav_out");
}

TEST_F(Xcodec2Parity, SemanticReconstruction) {
  auto& m = model();
  const torch::Tensor s =
      m->fc_post_s->forward(golden("quantized").transpose(1, 2)).transpose(1, 2);
  EXPECT_STAGE(s, "fc_post_s_out");
  EXPECT_STAGE(m->SemanticDecoder_module->initial_conv->forward(golden("fc_post_s_out")),
               "sem_dec_initial_conv");
  const torch::Tensor recon = m->SemanticDecoder_module->forward(golden("fc_post_s_out"));
  EXPECT_STAGE(recon, "sem_dec_out");
  const double loss = torch::mse_loss(recon, golden("semantic_in").transpose(1, 2)).item<double>();
  EXPECT_NEAR(loss, manifest().at("values").at("semantic_recon_loss").get<double>(), 1e-5);
}

TEST_F(Xcodec2Parity, EndToEndEncodeDecode) {
  auto& m = model();
  const torch::Tensor wave =
      xm::pad_for_encoding(golden("wav").view({1, 1, -1}), m->config.hop_length());
  const auto e = m->encode_detailed(wave, golden("semantic_in"));
  EXPECT_STAGE(e.acoustic, "enc_out");
  EXPECT_STAGE(e.semantic, "sem_enc_out");
  EXPECT_STAGE(e.concat, "concat");
  EXPECT_STAGE(e.fused, "fc_prior_out");
  ASSERT_TRUE(torch::equal(e.codes.to(torch::kInt64), golden("codes"))) << "codes differ";
  EXPECT_STAGE(e.quantized, "quantized");
  EXPECT_TRUE(torch::equal(m->encode(wave, golden("semantic_in")), e.codes));
  EXPECT_STAGE(m->decode(e.codes), "wav_out");
  EXPECT_EQ(m->decode(e.codes).size(2), wave.size(2));
}

// The training path (weight norm recomputed from g/v, straight-through FSQ, autograd on)
// gives the same values as the folded inference path.
TEST(Xcodec2TrainingParity, ForwardMatchesFixture) {
  const auto config =
      xm::XCodec2Config::from_json_file(fixture_path(std::string(kDir) + "config.json"));
  xm::XCodec2Model m(config, true);
  m->load_weights(fixture_path(std::string(kDir) + "model.safetensors"));
  m->eval();  // dropout off so the output is deterministic
  const torch::Tensor wave = golden("input_padded");
  const auto out = m->forward(wave, golden("semantic_in"));
  EXPECT_TRUE(torch::equal(out.codes.to(torch::kInt64), golden("codes")));
  EXPECT_STAGE(out.quantized.detach(), "quantized");
  EXPECT_STAGE(out.semantic_recon.detach(), "sem_dec_out");
  EXPECT_STAGE(out.recon.detach(), "wav_out");
  EXPECT_FALSE(out.vq_loss.defined());
  // Gradients reach the encoder's weight-norm parameters through the straight-through round.
  out.recon.pow(2).mean().backward();
  auto first = m->CodecEnc->conv_blocks[0]->as<xm::WNConv1dImpl>();
  ASSERT_TRUE(first->weight_g.grad().defined());
  EXPECT_GT(first->weight_g.grad().abs().sum().item<double>(), 0.0);
  EXPECT_GT(first->weight_v.grad().abs().sum().item<double>(), 0.0);
}

}  // namespace
