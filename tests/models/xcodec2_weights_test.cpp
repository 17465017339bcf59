// Key names, shapes and parameter counts of the default X-Codec-2.0 configuration against the
// spec's tables (xcodec2.md §9, §10), strict loading reports, and safetensors round trips.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>

#include "support/test_support.h"
#include "xcodec/core/error.h"
#include "xcodec/io/safetensors.h"
#include "xcodec/models/codecs/xcodec2_model.h"

namespace xm = xcodec::models;
using Shape = std::vector<int64_t>;

namespace {

// Builds the key → shape table of the released checkpoint from the spec's patterns (§9.2–9.4),
// independently of the model code. `lightning` adds fc_post_s / SemanticDecoder_module.
std::map<std::string, Shape> spec_key_table(bool lightning, bool with_semantic_model) {
  std::map<std::string, Shape> t;
  auto conv = [&](const std::string& p, int64_t out, int64_t in, int64_t k) {
    t[p + ".bias"] = {out};
    t[p + ".weight_g"] = {out, 1, 1};
    t[p + ".weight_v"] = {out, in, k};
  };
  auto act = [&](const std::string& p, int64_t c) {
    t[p + ".act.alpha"] = {c};
    t[p + ".act.beta"] = {c};
    t[p + ".upsample.filter"] = {1, 1, 12};
    t[p + ".downsample.lowpass.filter"] = {1, 1, 12};
  };
  conv("CodecEnc.conv_blocks.0", 48, 1, 7);
  const std::vector<std::pair<int64_t, int64_t>> cs = {
      {48, 2}, {96, 2}, {192, 4}, {384, 4}, {768, 5}};
  for (int i = 1; i <= 5; ++i) {
    const auto [c, s] = cs[i - 1];
    const std::string b = "CodecEnc.conv_blocks." + std::to_string(i) + ".block.";
    for (int r = 0; r < 3; ++r) {
      const std::string u = b + std::to_string(r) + ".block.";
      act(u + "0", c);
      conv(u + "1", c, c, 7);
      act(u + "2", c);
      conv(u + "3", c, c, 1);
    }
    act(b + "3", c);
    conv(b + "4", 2 * c, c, 2 * s);
  }
  act("CodecEnc.conv_final_block.0", 1536);
  conv("CodecEnc.conv_final_block.1", 1024, 1536, 3);
  const std::string g = "generator.";
  t[g + "quantizer.project_in.weight"] = {8, 2048};
  t[g + "quantizer.project_in.bias"] = {8};
  t[g + "quantizer.project_out.weight"] = {2048, 8};
  t[g + "quantizer.project_out.bias"] = {2048};
  t[g + "backbone.embed.weight"] = {1024, 1024, 7};
  t[g + "backbone.embed.bias"] = {1024};
  for (const char* net : {"prior_net", "post_net"}) {
    for (int i = 0; i < 2; ++i) {
      const std::string p = g + "backbone." + net + "." + std::to_string(i) + ".";
      for (const char* n : {"norm1", "norm2"}) {
        t[p + n + ".weight"] = {1024};
        t[p + n + ".bias"] = {1024};
      }
      for (const char* c : {"conv1", "conv2"}) {
        t[p + c + ".weight"] = {1024, 1024, 3};
        t[p + c + ".bias"] = {1024};
      }
    }
  }
  for (int i = 0; i < 12; ++i) {
    const std::string p = g + "backbone.transformers." + std::to_string(i) + ".";
    t[p + "att_norm.weight"] = {1024};
    t[p + "ffn_norm.weight"] = {1024};
    t[p + "att.c_attn.weight"] = {3072, 1024};
    t[p + "att.c_proj.weight"] = {1024, 1024};
    t[p + "mlp.fc1.weight"] = {4096, 1024};
    t[p + "mlp.fc2.weight"] = {1024, 4096};
  }
  t[g + "backbone.final_layer_norm.weight"] = {1024};
  t[g + "backbone.final_layer_norm.bias"] = {1024};
  t[g + "head.out.weight"] = {1282, 1024};
  t[g + "head.out.bias"] = {1282};
  t[g + "head.istft.window"] = {1280};
  t["fc_prior.weight"] = {2048, 2048};
  t["fc_prior.bias"] = {2048};
  t["fc_post_a.weight"] = {1024, 2048};
  t["fc_post_a.bias"] = {1024};
  auto adapter = [&](const std::string& p) {
    t[p + ".initial_conv.weight"] = {1024, 1024, 3};
    t[p + ".residual_blocks.1.weight"] = {1024, 1024, 3};
    t[p + ".residual_blocks.1.bias"] = {1024};
    t[p + ".residual_blocks.3.weight"] = {1024, 1024, 3};
    t[p + ".residual_blocks.3.bias"] = {1024};
    t[p + ".final_conv.weight"] = {1024, 1024, 3};
  };
  adapter("SemanticEncoder_module");
  if (lightning) {
    t["fc_post_s.weight"] = {1024, 2048};
    t["fc_post_s.bias"] = {1024};
    adapter("SemanticDecoder_module");
  }
  if (with_semantic_model) {
    const std::string s = "semantic_model.";
    t[s + "masked_spec_embed"] = {1024};
    t[s + "feature_projection.layer_norm.weight"] = {160};
    t[s + "feature_projection.layer_norm.bias"] = {160};
    t[s + "feature_projection.projection.weight"] = {1024, 160};
    t[s + "feature_projection.projection.bias"] = {1024};
    for (int l = 0; l < 24; ++l) {
      const std::string p = s + "encoder.layers." + std::to_string(l) + ".";
      for (const char* ffn : {"ffn1", "ffn2"}) {
        t[p + ffn + "_layer_norm.weight"] = {1024};
        t[p + ffn + "_layer_norm.bias"] = {1024};
        t[p + ffn + ".intermediate_dense.weight"] = {4096, 1024};
        t[p + ffn + ".intermediate_dense.bias"] = {4096};
        t[p + ffn + ".output_dense.weight"] = {1024, 4096};
        t[p + ffn + ".output_dense.bias"] = {1024};
      }
      t[p + "self_attn_layer_norm.weight"] = {1024};
      t[p + "self_attn_layer_norm.bias"] = {1024};
      for (const char* n : {"q", "k", "v", "out"}) {
        t[p + "self_attn.linear_" + n + ".weight"] = {1024, 1024};
        t[p + "self_attn.linear_" + n + ".bias"] = {1024};
      }
      t[p + "self_attn.distance_embedding.weight"] = {73, 64};
      t[p + "conv_module.layer_norm.weight"] = {1024};
      t[p + "conv_module.layer_norm.bias"] = {1024};
      t[p + "conv_module.pointwise_conv1.weight"] = {2048, 1024, 1};
      t[p + "conv_module.depthwise_conv.weight"] = {1024, 1, 31};
      t[p + "conv_module.depthwise_layer_norm.weight"] = {1024};
      t[p + "conv_module.depthwise_layer_norm.bias"] = {1024};
      t[p + "conv_module.pointwise_conv2.weight"] = {1024, 1024, 1};
      t[p + "final_layer_norm.weight"] = {1024};
      t[p + "final_layer_norm.bias"] = {1024};
    }
  }
  return t;
}

std::map<std::string, Shape> model_key_table(const torch::nn::Module& m) {
  std::map<std::string, Shape> t;
  for (const auto& [k, v] : xm::persistent_state(m))
    t[k] = Shape(v.sizes().begin(), v.sizes().end());
  return t;
}

int64_t count_params(const torch::nn::Module& m, const std::string& prefix) {
  int64_t n = 0;
  for (const auto& p : m.named_parameters())
    if (p.key().rfind(prefix, 0) == 0) n += p.value().numel();
  return n;
}

// One default-config model shared by the tests of this file (built once: ~257 M parameters).
xm::XCodec2Model& default_model() {
  static xm::XCodec2Model m = [] {
    torch::manual_seed(0);
    return xm::XCodec2Model(xm::XCodec2Config{}, /*with_training_heads=*/true);
  }();
  return m;
}

TEST(Xcodec2Weights, SpecKeyTableCountsMatchSpec) {
  EXPECT_EQ(spec_key_table(false, true).size(), 1153u);  // HF model.safetensors (§9.1)
  const auto codec_only = spec_key_table(false, false);
  int64_t enc = 0, gen = 0;
  for (const auto& [k, s] : codec_only) {
    enc += k.rfind("CodecEnc.", 0) == 0;
    gen += k.rfind("generator.", 0) == 0;
  }
  EXPECT_EQ(enc, 255);
  EXPECT_EQ(gen, 115);
}

TEST(Xcodec2Weights, DefaultModelKeysAndShapesEqualSpecTables) {
  const auto want = spec_key_table(/*lightning=*/true, /*with_semantic_model=*/false);
  const auto got = model_key_table(*default_model());
  for (const auto& [k, s] : want) {
    const auto it = got.find(k);
    if (it == got.end()) {
      ADD_FAILURE() << "model lacks " << k;
    } else {
      EXPECT_EQ(it->second, s) << k;
    }
  }
  for (const auto& [k, s] : got) EXPECT_TRUE(want.count(k)) << "model has extra key " << k;
}

TEST(Xcodec2Weights, DefaultModelParameterCountsMatchSpec) {
  const auto& m = *default_model();
  EXPECT_EQ(count_params(m, "CodecEnc."), 38462480);
  EXPECT_EQ(count_params(m, "CodecEnc.conv_blocks.0."), 432);
  EXPECT_EQ(count_params(m, "CodecEnc.conv_blocks.1."), 75168);
  EXPECT_EQ(count_params(m, "CodecEnc.conv_blocks.2."), 297792);
  EXPECT_EQ(count_params(m, "CodecEnc.conv_blocks.3."), 1480320);
  EXPECT_EQ(count_params(m, "CodecEnc.conv_blocks.4."), 5909760);
  EXPECT_EQ(count_params(m, "CodecEnc.conv_blocks.5."), 25975296);
  EXPECT_EQ(count_params(m, "CodecEnc.conv_final_block."), 4723712);
  EXPECT_EQ(count_params(m, "generator.quantizer."), 34824);
  EXPECT_EQ(count_params(m, "generator.backbone."), 183553024);
  EXPECT_EQ(count_params(m, "generator.backbone.embed."), 7341056);
  EXPECT_EQ(count_params(m, "generator.backbone.prior_net."), 12595200);
  EXPECT_EQ(count_params(m, "generator.backbone.transformers."), 151019520);
  EXPECT_EQ(count_params(m, "generator.backbone.final_layer_norm."), 2048);
  EXPECT_EQ(count_params(m, "generator.backbone.post_net."), 12595200);
  EXPECT_EQ(count_params(m, "generator.head."), 1314050);
  EXPECT_EQ(count_params(m, "fc_prior."), 4196352);
  EXPECT_EQ(count_params(m, "fc_post_a."), 2098176);
  EXPECT_EQ(count_params(m, "fc_post_s."), 2098176);
  EXPECT_EQ(count_params(m, "SemanticEncoder_module."), 12584960);
  EXPECT_EQ(count_params(m, "SemanticDecoder_module."), 12584960);
  EXPECT_EQ(count_params(m, ""), 256927002);  // trainable generator side (§10 aggregates)
  EXPECT_EQ(count_params(m, "") - count_params(m, "fc_post_s.") -
                count_params(m, "SemanticDecoder_module."),
            242243866);  // inference modules
}

// Every key and shape of the released HF model.safetensors (including the 773 w2v-BERT keys)
// loads into the default config; semantic_model.* is handed back as foreign and the
// training-only heads (absent from that file) are reported as optional-missing.
TEST(Xcodec2Weights, ReleasedKeyTableLoadsIntoDefaultConfig) {
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& [k, s] : spec_key_table(false, true)) {
    // Zero-stride views: every shape without allocating 3.3 GB.
    tensors[k] = torch::full({1}, 0.25f).expand(s);
  }
  auto& m = default_model();
  const auto r = m->load_weights(xm::MapSource(tensors));
  EXPECT_TRUE(r.ok()) << r.summary();
  EXPECT_EQ(r.loaded.size(), 380u);
  EXPECT_EQ(r.foreign.size(), 773u);
  EXPECT_EQ(r.missing_optional.size(), 8u);  // fc_post_s.* (2) + SemanticDecoder_module.* (6)
  EXPECT_TRUE(r.ignored.empty());
  EXPECT_EQ(m->fc_prior->weight[0][0].item<float>(), 0.25f);
  EXPECT_EQ(m->generator->head->istft->window[7].item<float>(), 0.25f);
  // The Lightning layout (training heads included) loads completely.
  std::map<std::string, torch::Tensor> lightning;
  for (const auto& [k, s] : spec_key_table(true, false))
    lightning[k] = torch::full({1}, 0.5f).expand(s);
  const auto r2 = m->load_weights(xm::MapSource(lightning));
  EXPECT_TRUE(r2.ok()) << r2.summary();
  EXPECT_EQ(r2.loaded.size(), 388u);
  EXPECT_TRUE(r2.missing_optional.empty());
}

TEST(Xcodec2Weights, StrictReportNamesMissingUnexpectedAndMisshapedKeys) {
  xm::XCodec2Model m(xm::XCodec2Config::preset("tiny"), false);
  std::map<std::string, torch::Tensor> t;
  for (const auto& [k, v] : xm::persistent_state(*m)) t[k] = v.detach().clone();
  t.erase("fc_prior.bias");
  t["fc_post_a.weight"] = torch::zeros({3, 3});
  t["generator.bogus.weight"] = torch::zeros({1});
  t["generator.quantizer.layers.0._levels"] = torch::zeros({3});  // Python non-persistent
  t["semantic_model.encoder.layers.0.final_layer_norm.weight"] = torch::zeros({4});
  try {
    m->load_weights(xm::MapSource(t));
    FAIL() << "expected CheckpointError";
  } catch (const xcodec::CheckpointError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("missing: fc_prior.bias"), std::string::npos) << msg;
    EXPECT_NE(msg.find("unexpected: generator.bogus.weight"), std::string::npos) << msg;
    EXPECT_NE(msg.find("fc_post_a.weight: file [3, 3] vs model [32, 24]"), std::string::npos)
        << msg;
    EXPECT_EQ(msg.find("_levels"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("semantic_model"), std::string::npos) << msg;
  }
  const auto r = m->load_weights(xm::MapSource(t), /*strict=*/false);
  EXPECT_EQ(r.missing.size(), 1u);
  EXPECT_EQ(r.unexpected.size(), 1u);
  EXPECT_EQ(r.mismatched.size(), 1u);
  EXPECT_EQ(r.ignored.size(), 1u);
  EXPECT_EQ(r.foreign.size(), 1u);
}

// Full default config: save with metadata, read back, reload strictly (no forward pass).
TEST(Xcodec2Weights, DefaultModelSafetensorsRoundTrip) {
  xcodec::testing::TempDir dir;
  const std::string path = dir.str() + "/xcodec2.safetensors";
  auto& m = default_model();
  m->save_weights(path);
  const auto file = xcodec::io::SafetensorsFile::open(path);
  EXPECT_EQ(file->keys().size(), 388u);  // 380 inference keys + 8 training-head keys
  EXPECT_EQ(file->metadata().at(xm::kMetaModel), "xcodec2");
  EXPECT_EQ(file->metadata().at(xm::kMetaFormatVersion), xm::kFormatVersion);
  EXPECT_EQ(xm::XCodec2Config::from_yaml(file->metadata().at(xm::kMetaConfig)), m->config);
  for (const auto& [name, t] : xm::persistent_state(*m)) {
    ASSERT_TRUE(file->contains(name)) << name;
    EXPECT_TRUE(torch::equal(file->tensor(name), t)) << name;
  }
  const auto r = m->load_weights(path);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.loaded.size(), 388u);
}

TEST(Xcodec2Weights, SmallModelRoundTripKeepsOutputs) {
  xcodec::testing::TempDir dir;
  const std::string path = dir.str() + "/small.safetensors";
  torch::manual_seed(3);
  xm::XCodec2Model m(xm::XCodec2Config::preset("tiny"), false);
  m->prepare_for_inference();
  m->save_weights(path);
  auto loaded = xm::load_xcodec2_model(path, xm::XCodec2Config::preset("xcodec2"));
  EXPECT_EQ(loaded->config, m->config);  // from the metadata, not the fallback
  EXPECT_FALSE(loaded->has_training_heads());
  const int64_t hop = m->config.hop_length();
  const torch::Tensor wave = torch::randn({1, 1, hop * 6});
  const torch::Tensor sem = torch::randn({1, 6, m->config.semantic.hidden_size});
  const torch::Tensor codes = m->encode(wave, sem);
  EXPECT_TRUE(torch::equal(loaded->encode(wave, sem), codes));
  EXPECT_TRUE(torch::equal(loaded->decode(codes), m->decode(codes)));
}

}  // namespace
