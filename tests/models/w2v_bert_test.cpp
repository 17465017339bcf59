#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "xcodec/audio/seamless_fbank.h"
#include "xcodec/core/error.h"
#include "xcodec/io/safetensors.h"
#include "xcodec/models/semantic/semantic_teacher.h"
#include "xcodec/models/semantic/wav2vec2_bert.h"
#include "xcodec/models/semantic/wav2vec2_bert_config.h"

namespace xcodec::models {
namespace {

using xcodec::testing::fixture_path;
using xcodec::testing::load_fixture;
using xcodec::testing::SeededTest;
using xcodec::testing::TempDir;

const std::string kDir = "w2vbert-tiny/";
// w2vbert-tiny/README.md: atol 1e-4 (or 50x the float64-vs-float32 column, which is smaller
// here) on every w2v_* array.
constexpr double kAtol = 1e-4;

Wav2Vec2BertConfig fixture_config() {
  return Wav2Vec2BertConfig::from_json_file(fixture_path(kDir + "config.json"));
}

Wav2Vec2BertModel load_fixture_model(int64_t num_layers) {
  Wav2Vec2BertModel model(Wav2Vec2BertOptions{fixture_config(), num_layers});
  const auto file = io::SafetensorsFile::open(fixture_path(kDir + "model.safetensors"));
  load_wav2vec2_bert_weights(model, *file);
  model->eval();
  return model;
}

std::string npy(const std::string& name) { return kDir + name + ".npy"; }

class W2vBertParity : public SeededTest {};
class W2vBertLoader : public SeededTest {};

TEST_F(W2vBertParity, FeatureProjection) {
  const auto config = fixture_config();
  auto model = load_fixture_model(config.num_hidden_layers);
  const auto feats = load_fixture(npy("fe_xcodec_input_features"));
  torch::InferenceMode guard;
  EXPECT_TENSOR_CLOSE(model->feature_projection->layer_norm(feats),
                      load_fixture(npy("w2v_extract_features")), kAtol, 0.0);
  EXPECT_TENSOR_CLOSE(model->feature_projection(feats), load_fixture(npy("w2v_hidden_states_0")),
                      kAtol, 0.0);
}

TEST_F(W2vBertParity, Layer0Modules) {
  const auto config = fixture_config();
  auto model = load_fixture_model(config.num_hidden_layers);
  const auto feats = load_fixture(npy("fe_xcodec_input_features"));
  torch::InferenceMode guard;
  std::vector<Wav2Vec2BertLayerTrace> traces;
  model->hidden_states(feats, {}, &traces);
  ASSERT_EQ(traces.size(), static_cast<size_t>(config.num_hidden_layers));
  EXPECT_TENSOR_CLOSE(traces[0].ffn1, load_fixture(npy("w2v_layer0_ffn1")), kAtol, 0.0);
  EXPECT_TENSOR_CLOSE(traces[0].self_attn, load_fixture(npy("w2v_layer0_self_attn")), kAtol, 0.0);
  EXPECT_TENSOR_CLOSE(traces[0].conv_module, load_fixture(npy("w2v_layer0_conv_module")), kAtol,
                      0.0);
  EXPECT_TENSOR_CLOSE(traces[0].ffn2, load_fixture(npy("w2v_layer0_ffn2")), kAtol, 0.0);
}

TEST_F(W2vBertParity, AllHiddenStatesAndLastHiddenState) {
  const auto config = fixture_config();
  auto model = load_fixture_model(config.num_hidden_layers);
  const auto feats = load_fixture(npy("fe_xcodec_input_features"));
  torch::InferenceMode guard;
  const auto states = model->hidden_states(feats);
  ASSERT_EQ(states.size(), static_cast<size_t>(config.num_hidden_layers + 1));
  for (int64_t k = 0; k <= config.num_hidden_layers; ++k) {
    SCOPED_TRACE("hidden_states_" + std::to_string(k));
    EXPECT_TENSOR_CLOSE(states[k], load_fixture(npy("w2v_hidden_states_" + std::to_string(k))),
                        kAtol, 0.0);
  }
  EXPECT_TENSOR_CLOSE(model->forward(feats), load_fixture(npy("w2v_last_hidden_state")), kAtol,
                      0.0);
}

TEST_F(W2vBertParity, BatchWithAttentionMask) {
  const auto config = fixture_config();
  auto model = load_fixture_model(config.num_hidden_layers);
  const auto feats = load_fixture(npy("fe_batch_input_features"));
  const auto mask = load_fixture(npy("fe_batch_attention_mask"));
  torch::InferenceMode guard;
  const auto states = model->hidden_states(feats, mask);
  for (int64_t k = 0; k <= config.num_hidden_layers; ++k) {
    SCOPED_TRACE("batch_hidden_states_" + std::to_string(k));
    EXPECT_TENSOR_CLOSE(
        states[k], load_fixture(npy("w2v_batch_hidden_states_" + std::to_string(k))), kAtol, 0.0);
  }
  EXPECT_TENSOR_CLOSE(model->forward(feats, mask), load_fixture(npy("w2v_batch_last_hidden_state")),
                      kAtol, 0.0);
}

TEST_F(W2vBertParity, TruncatedModelBuildsExactlyTheRequestedLayers) {
  const auto config = fixture_config();
  const auto feats = load_fixture(npy("fe_xcodec_input_features"));
  for (int64_t k = 0; k <= config.num_hidden_layers; ++k) {
    SCOPED_TRACE("hidden state " + std::to_string(k));
    auto model = load_fixture_model(k);
    EXPECT_EQ(static_cast<int64_t>(model->encoder->layers->size()), k);
    // No parameter of a layer >= k exists.
    for (const auto& p : model->named_parameters()) {
      if (p.key().rfind("encoder.layers.", 0) == 0)
        EXPECT_LT(std::stoll(p.key().substr(15)), k) << p.key();
    }
    torch::InferenceMode guard;
    EXPECT_TENSOR_CLOSE(model->forward(feats),
                        load_fixture(npy("w2v_hidden_states_" + std::to_string(k))), kAtol, 0.0);
  }
}

TEST_F(W2vBertParity, SemanticTeacherFromWaveform) {
  // Whole path: excerpt → X-Codec-2.0 alignment → fbank → layers 0..1 = hidden_states[2].
  const auto wav = load_fixture(npy("fe_xcodec_input_wav"));
  const auto excerpt = wav.slice(0, 160, 160 + 34080);
  SemanticTeacherOptions opts;
  opts.layer = 2;
  auto teacher = SemanticTeacher::load(xcodec::testing::fixtures_dir() + "/" + kDir, opts);
  EXPECT_EQ(teacher->hidden_size(), fixture_config().hidden_size);
  const auto aligned = audio::xcodec2_pad_to_hop(excerpt).unsqueeze(0);
  const auto feats = teacher->features(aligned);
  EXPECT_TENSOR_CLOSE(feats, load_fixture(npy("fe_xcodec_input_features")), 1e-3, 0.0);
  const auto h = teacher->hidden(aligned);
  EXPECT_FALSE(h.is_inference());
  EXPECT_EQ(h.size(1), aligned.size(1) / 320);
  // End to end, waveform to hidden state, within the model's tolerance (measured: 7e-6).
  EXPECT_TENSOR_CLOSE(h, load_fixture(npy("w2v_hidden_states_2")), kAtol, 0.0);
  EXPECT_TENSOR_CLOSE(teacher->hidden_from_features(load_fixture(npy("fe_xcodec_input_features"))),
                      load_fixture(npy("w2v_hidden_states_2")), kAtol, 0.0);
  EXPECT_THROW(teacher->hidden(torch::zeros({1, 1000})), ShapeError);
}

TEST_F(W2vBertParity, SemanticTeacherBatchRowsMatchSingleUtterances) {
  // Equal-length training crops are batched; each row keeps its own fbank statistics.
  SemanticTeacherOptions opts;
  opts.layer = 3;
  auto teacher = SemanticTeacher::load(xcodec::testing::fixtures_dir() + "/" + kDir, opts);
  const auto wav = load_fixture(npy("fe_xcodec_input_wav"));
  const auto a = wav.slice(0, 160, 160 + 9600);
  const auto b = 0.5 * wav.slice(0, 20000, 20000 + 9600);
  const auto both = teacher->hidden(torch::stack({a, b}));
  ASSERT_EQ(both.sizes(), (torch::IntArrayRef{2, 30, 32}));
  EXPECT_TENSOR_CLOSE(both[0], teacher->hidden(a)[0], 1e-5, 0.0);
  EXPECT_TENSOR_CLOSE(both[1], teacher->hidden(b)[0], 1e-5, 0.0);
}

TEST_F(W2vBertParity, SemanticTeacherOnGpu_CUDA) {
  SemanticTeacherOptions opts;
  opts.layer = 3;
  opts.device = torch::kCUDA;
  auto teacher = SemanticTeacher::load(xcodec::testing::fixtures_dir() + "/" + kDir, opts);
  const auto wav = load_fixture(npy("fe_xcodec_input_wav"));
  const auto aligned = audio::xcodec2_pad_to_hop(wav.slice(0, 160, 160 + 34080)).unsqueeze(0);
  const auto h = teacher->hidden(aligned);
  EXPECT_TRUE(h.is_cuda());
  EXPECT_TENSOR_CLOSE(h.cpu(), load_fixture(npy("w2v_hidden_states_3")), kAtol, 0.0);
}

// ---- loading ------------------------------------------------------------------------------------

std::vector<std::pair<std::string, torch::Tensor>> fixture_tensors() {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (auto& [k, v] : io::load_safetensors(fixture_path(kDir + "model.safetensors")))
    out.emplace_back(k, v);
  return out;
}

std::string expect_checkpoint_error(Wav2Vec2BertModel& model, const std::string& path,
                                    const std::string& prefix = "") {
  const auto file = io::SafetensorsFile::open(path);
  try {
    load_wav2vec2_bert_weights(model, *file, prefix);
  } catch (const CheckpointError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected CheckpointError";
  return "";
}

TEST_F(W2vBertParity, LoadsUnderSemanticModelPrefixOfACodecCheckpoint) {
  TempDir dir;
  auto tensors = fixture_tensors();
  std::vector<std::pair<std::string, torch::Tensor>> nested;
  for (auto& [k, v] : tensors) nested.emplace_back("semantic_model." + k, v);
  nested.emplace_back("CodecEnc.conv_blocks.0.weight", torch::randn({4, 1, 7}));
  nested.emplace_back("fc_prior.weight", torch::randn({8, 8}));
  const std::string path = (dir.path() / "codec.safetensors").string();
  io::save_safetensors(path, nested);
  std::filesystem::copy_file(fixture_path(kDir + "config.json"), dir.path() / "config.json");

  const auto config = fixture_config();
  Wav2Vec2BertModel model(Wav2Vec2BertOptions{config, config.num_hidden_layers});
  const auto file = io::SafetensorsFile::open(path);
  EXPECT_EQ(load_wav2vec2_bert_weights(model, *file, "semantic_model."),
            static_cast<int64_t>(tensors.size()) - 1);  // all but masked_spec_embed
  model->eval();
  torch::InferenceMode guard;
  EXPECT_TENSOR_CLOSE(model->forward(load_fixture(npy("fe_xcodec_input_features"))),
                      load_fixture(npy("w2v_last_hidden_state")), kAtol, 0.0);

  SemanticTeacherOptions opts;
  opts.layer = 1;
  opts.prefix = "semantic_model.";
  auto teacher = SemanticTeacher::load((dir.path() / "config.json").string(), path, opts);
  EXPECT_TENSOR_CLOSE(teacher->hidden_from_features(load_fixture(npy("fe_xcodec_input_features"))),
                      load_fixture(npy("w2v_hidden_states_1")), kAtol, 0.0);
  // Without the prefix nothing matches: every key is reported missing.
  Wav2Vec2BertModel plain(Wav2Vec2BertOptions{config, 1});
  const std::string msg = expect_checkpoint_error(plain, path);
  EXPECT_NE(msg.find("missing 'feature_projection.layer_norm.weight'"), std::string::npos) << msg;
}

TEST_F(W2vBertLoader, MissingMisShapedAndUnknownKeysAreReported) {
  TempDir dir;
  const auto config = fixture_config();
  auto tensors = fixture_tensors();
  std::vector<std::pair<std::string, torch::Tensor>> broken;
  for (auto& [k, v] : tensors) {
    if (k == "encoder.layers.0.self_attn.linear_k.bias") continue;  // missing
    if (k == "encoder.layers.1.conv_module.depthwise_conv.weight")  // mis-shaped
      broken.emplace_back(k, torch::zeros({32, 1, 15}));
    else
      broken.emplace_back(k, v);
  }
  broken.emplace_back("encoder.layers.0.self_attn.linear_pos.weight", torch::zeros({32, 32}));
  const std::string path = (dir.path() / "broken.safetensors").string();
  io::save_safetensors(path, broken);

  Wav2Vec2BertModel model(Wav2Vec2BertOptions{config, config.num_hidden_layers});
  const std::string msg = expect_checkpoint_error(model, path);
  EXPECT_NE(msg.find("missing 'encoder.layers.0.self_attn.linear_k.bias'"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("'encoder.layers.1.conv_module.depthwise_conv.weight' has shape [32, 1, 15], "
                     "expected [32, 1, 31]"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("unexpected 'encoder.layers.0.self_attn.linear_pos.weight'"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find(path), std::string::npos) << msg;

  // A model truncated before the broken layers does not need them (not reported), but an
  // unknown tensor name in a layer it skips is still an error.
  Wav2Vec2BertModel one(Wav2Vec2BertOptions{config, 0});
  const std::string msg0 = expect_checkpoint_error(one, path);
  EXPECT_EQ(msg0.find("missing"), std::string::npos) << msg0;
  EXPECT_NE(msg0.find("unexpected 'encoder.layers.0.self_attn.linear_pos.weight'"),
            std::string::npos)
      << msg0;
}

TEST_F(W2vBertLoader, TruncatedModelIgnoresLaterLayersButNotLayersBeyondTheConfig) {
  TempDir dir;
  const auto config = fixture_config();
  auto tensors = fixture_tensors();
  tensors.emplace_back("encoder.layers.7.final_layer_norm.weight", torch::ones({32}));
  const std::string path = (dir.path() / "extra.safetensors").string();
  io::save_safetensors(path, tensors);
  Wav2Vec2BertModel model(Wav2Vec2BertOptions{config, 1});
  const std::string msg = expect_checkpoint_error(model, path);
  EXPECT_NE(msg.find("unexpected 'encoder.layers.7.final_layer_norm.weight'"), std::string::npos)
      << msg;
  EXPECT_EQ(msg.find("encoder.layers.2."), std::string::npos) << msg;  // within config: allowed
}

// ---- configuration and layer-count logic
// ---------------------------------------------------------

TEST(Wav2Vec2BertConfig, ParsesTheFixtureConfigParity) {
  const auto c = fixture_config();
  EXPECT_EQ(c.hidden_size, 32);
  EXPECT_EQ(c.num_hidden_layers, 3);
  EXPECT_EQ(c.num_attention_heads, 4);
  EXPECT_EQ(c.head_size(), 8);
  EXPECT_EQ(c.intermediate_size, 128);
  EXPECT_EQ(c.feature_projection_input_dim, 160);
  EXPECT_EQ(c.hidden_act, "swish");
  EXPECT_DOUBLE_EQ(c.layer_norm_eps, 1e-5);
  EXPECT_EQ(c.position_embeddings_type, "relative_key");
  EXPECT_EQ(c.left_max_position_embeddings, 64);
  EXPECT_EQ(c.right_max_position_embeddings, 8);
  EXPECT_EQ(c.num_relative_positions(), 73);
  EXPECT_EQ(c.conv_depthwise_kernel_size, 31);
  EXPECT_FALSE(c.add_adapter);
}

TEST(Wav2Vec2BertConfig, MissingRequiredKeyIsNamed) {
  const Wav2Vec2BertConfig defaults;
  const auto full = nlohmann::json::parse(defaults.to_json());
  for (const char* key :
       {"feature_projection_input_dim", "hidden_size", "num_hidden_layers", "num_attention_heads",
        "intermediate_size", "hidden_act", "layer_norm_eps", "position_embeddings_type",
        "left_max_position_embeddings", "right_max_position_embeddings",
        "conv_depthwise_kernel_size"}) {
    auto j = full;
    j.erase(key);
    try {
      Wav2Vec2BertConfig::from_json(j.dump(), "cfg.json");
      ADD_FAILURE() << "no error without " << key;
    } catch (const ConfigError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(std::string("'") + key + "'"), std::string::npos) << msg;
      EXPECT_NE(msg.find("cfg.json"), std::string::npos) << msg;
    }
  }
}

TEST(Wav2Vec2BertConfig, RejectsBadValuesAndRoundTrips) {
  const Wav2Vec2BertConfig defaults;
  auto bad = [&](const std::string& key, const nlohmann::json& value) {
    auto j = nlohmann::json::parse(defaults.to_json());
    j[key] = value;
    try {
      Wav2Vec2BertConfig::from_json(j.dump(), "cfg.json");
    } catch (const ConfigError& e) {
      return std::string(e.what()).find(key) != std::string::npos;
    }
    return false;
  };
  EXPECT_TRUE(bad("hidden_size", "1024"));
  EXPECT_TRUE(bad("num_attention_heads", 7));  // does not divide 1024
  EXPECT_TRUE(bad("position_embeddings_type", "rotary"));
  EXPECT_TRUE(bad("hidden_act", "tanh"));
  EXPECT_TRUE(bad("layer_norm_eps", 0.0));
  EXPECT_TRUE(bad("add_adapter", "no"));
  EXPECT_THROW(Wav2Vec2BertConfig::from_json("[1, 2]", "x"), ConfigError);
  EXPECT_THROW(Wav2Vec2BertConfig::from_json("{", "x"), ConfigError);
  EXPECT_THROW(Wav2Vec2BertConfig::from_json_file("/nonexistent/config.json"), IoError);

  auto j = nlohmann::json::parse(defaults.to_json());
  j["some_unrelated_key"] = {1, 2, 3};
  j["mask_time_prob"] = 0.05;
  const auto back = Wav2Vec2BertConfig::from_json(j.dump(), "cfg.json");
  EXPECT_EQ(back.to_json(), defaults.to_json());
}

TEST(Wav2Vec2BertConfig, DefaultsAreW2vBert2AndLayerCountsMatchTheSpec) {
  const Wav2Vec2BertConfig c;  // facebook/w2v-bert-2.0
  EXPECT_EQ(c.hidden_size, 1024);
  EXPECT_EQ(c.num_hidden_layers, 24);
  EXPECT_EQ(c.num_attention_heads, 16);
  EXPECT_EQ(c.intermediate_size, 4096);
  // Parameter counts of spec §2.5, from one full-size layer (building 16 would take 1.5 GB).
  auto count = [](const torch::nn::Module& m) {
    int64_t n = 0;
    for (const auto& p : m.parameters()) n += p.numel();
    return n;
  };
  EXPECT_EQ(count(*Wav2Vec2BertEncoderLayer(c)), 24180288);
  EXPECT_EQ(count(*Wav2Vec2BertFeatureProjection(c)), 165184);
  EXPECT_EQ(count(*Wav2Vec2BertSelfAttention(c)), 4203072);
  EXPECT_EQ(count(*Wav2Vec2BertConvolutionModule(c)), 3181568);
  EXPECT_EQ(165184 + 16 * 24180288, 387049792);
}

TEST(Wav2Vec2BertModel, RequestedHiddenStateOutsideTheConfigIsAnError) {
  Wav2Vec2BertConfig c;
  c.hidden_size = 16;
  c.num_attention_heads = 2;
  c.intermediate_size = 32;
  c.num_hidden_layers = 4;
  EXPECT_THROW(Wav2Vec2BertModel(Wav2Vec2BertOptions{c, 5}), ConfigError);
  EXPECT_THROW(Wav2Vec2BertModel(Wav2Vec2BertOptions{c, -1}), ConfigError);
  for (int64_t k : {0, 2, 4}) {
    Wav2Vec2BertModel m(Wav2Vec2BertOptions{c, k});
    EXPECT_EQ(static_cast<int64_t>(m->encoder->layers->size()), k);
  }
  Wav2Vec2BertModel m(Wav2Vec2BertOptions{c, 2});
  EXPECT_THROW(m->forward(torch::zeros({1, 5, 80})), ShapeError);
  EXPECT_THROW(m->forward(torch::zeros({1, 5, 160}), torch::ones({1, 4})), ShapeError);
  // SemanticTeacher insists on a model built for its layer.
  SemanticTeacherOptions opts;
  opts.layer = 3;
  EXPECT_THROW({ SemanticTeacher t(m, opts); }, ConfigError);
}

TEST(Wav2Vec2BertModel, RelativePositionsAreKeyMinusQueryClamped) {
  // Keys carry no content (linear_k = 0) and only the table row of distance +right is non-zero,
  // so query i must attend to the keys with j - i >= +right (clamped), i.e. the future ones.
  // With the sign swapped it would attend to the past instead.
  Wav2Vec2BertConfig c;
  c.hidden_size = 4;
  c.num_attention_heads = 1;
  c.intermediate_size = 8;
  c.num_hidden_layers = 1;
  c.left_max_position_embeddings = 3;
  c.right_max_position_embeddings = 1;
  Wav2Vec2BertSelfAttention attn(c);
  torch::NoGradGuard ng;
  for (auto& p : attn->parameters()) p.zero_();
  attn->linear_q->weight.copy_(torch::eye(4) * 40.0);
  attn->linear_v->weight.copy_(torch::eye(4));
  attn->linear_out->weight.copy_(torch::eye(4));
  // Table rows: index = d + 3, d in [-3, 1]. Make d = +1 (row 4) score 1 on dim 0.
  attn->distance_embedding->weight[4][0] = 1.0;
  const int64_t t = 6;
  auto x = torch::zeros({1, t, 4});
  x.select(2, 0).fill_(1.0);  // q·E[row 4] = 40 for every query
  x.select(2, 1).copy_(torch::arange(t, torch::kFloat32).view({1, t}));  // v carries the time index
  const auto out = attn->forward(x);
  // Query i averages the time index of keys i+1..t-1.
  for (int64_t i = 0; i < t - 1; ++i) {
    const double expected = (static_cast<double>(i + 1) + (t - 1)) / 2.0;
    EXPECT_NEAR(out[0][i][1].item<double>(), expected, 0.05) << "query " << i;
  }
}

}  // namespace
}  // namespace xcodec::models
