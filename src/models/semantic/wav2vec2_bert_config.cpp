#include "xcodec/models/semantic/wav2vec2_bert_config.h"

#include <nlohmann/json.hpp>

#include "xcodec/core/error.h"
#include "xcodec/io/atomic_file.h"

namespace xcodec::models {
namespace {

using nlohmann::json;

const json& require(const json& j, const char* key, const std::string& source) {
  if (!j.contains(key)) throw ConfigError(source + ": missing required key '" + key + "'");
  return j.at(key);
}

int64_t get_int(const json& j, const char* key, const std::string& source) {
  const json& v = require(j, key, source);
  if (!v.is_number_integer())
    throw ConfigError(source + ": key '" + key + "' must be an integer, got " + v.dump());
  return v.get<int64_t>();
}

double get_double(const json& j, const char* key, const std::string& source) {
  const json& v = require(j, key, source);
  if (!v.is_number())
    throw ConfigError(source + ": key '" + key + "' must be a number, got " + v.dump());
  return v.get<double>();
}

std::string get_string(const json& j, const char* key, const std::string& source) {
  const json& v = require(j, key, source);
  if (!v.is_string())
    throw ConfigError(source + ": key '" + key + "' must be a string, got " + v.dump());
  return v.get<std::string>();
}

bool get_bool_or(const json& j, const char* key, bool fallback, const std::string& source) {
  if (!j.contains(key) || j.at(key).is_null()) return fallback;
  if (!j.at(key).is_boolean())
    throw ConfigError(source + ": key '" + key + "' must be true or false, got " +
                      j.at(key).dump());
  return j.at(key).get<bool>();
}

}  // namespace

void Wav2Vec2BertConfig::validate() const {
  auto fail = [](const std::string& key, const std::string& why) {
    throw ConfigError("wav2vec2-bert config: " + key + " " + why);
  };
  if (feature_projection_input_dim <= 0) fail("feature_projection_input_dim", "must be > 0");
  if (hidden_size <= 0) fail("hidden_size", "must be > 0");
  if (num_hidden_layers <= 0) fail("num_hidden_layers", "must be > 0");
  if (num_attention_heads <= 0) fail("num_attention_heads", "must be > 0");
  if (hidden_size % num_attention_heads != 0)
    fail("num_attention_heads", "(" + std::to_string(num_attention_heads) +
                                    ") must divide hidden_size (" + std::to_string(hidden_size) +
                                    ")");
  if (intermediate_size <= 0) fail("intermediate_size", "must be > 0");
  if (hidden_act != "swish" && hidden_act != "silu" && hidden_act != "gelu" && hidden_act != "relu")
    fail("hidden_act", "'" + hidden_act + "' is not supported (swish, silu, gelu, relu)");
  if (!(layer_norm_eps > 0.0)) fail("layer_norm_eps", "must be > 0");
  if (position_embeddings_type != "relative_key")
    fail("position_embeddings_type",
         "'" + position_embeddings_type +
             "' is not supported (only relative_key, as in w2v-BERT 2.0)");
  if (left_max_position_embeddings < 0) fail("left_max_position_embeddings", "must be >= 0");
  if (right_max_position_embeddings < 0) fail("right_max_position_embeddings", "must be >= 0");
  if (conv_depthwise_kernel_size <= 0) fail("conv_depthwise_kernel_size", "must be > 0");
}

Wav2Vec2BertConfig Wav2Vec2BertConfig::from_json(const std::string& text,
                                                 const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const std::exception& e) {
    throw ConfigError(source + ": invalid JSON: " + e.what());
  }
  if (!j.is_object()) throw ConfigError(source + ": expected a JSON object");
  Wav2Vec2BertConfig c;
  c.feature_projection_input_dim = get_int(j, "feature_projection_input_dim", source);
  c.hidden_size = get_int(j, "hidden_size", source);
  c.num_hidden_layers = get_int(j, "num_hidden_layers", source);
  c.num_attention_heads = get_int(j, "num_attention_heads", source);
  c.intermediate_size = get_int(j, "intermediate_size", source);
  c.hidden_act = get_string(j, "hidden_act", source);
  c.layer_norm_eps = get_double(j, "layer_norm_eps", source);
  c.position_embeddings_type = get_string(j, "position_embeddings_type", source);
  c.left_max_position_embeddings = get_int(j, "left_max_position_embeddings", source);
  c.right_max_position_embeddings = get_int(j, "right_max_position_embeddings", source);
  c.conv_depthwise_kernel_size = get_int(j, "conv_depthwise_kernel_size", source);
  c.add_adapter = get_bool_or(j, "add_adapter", false, source);
  c.use_intermediate_ffn_before_adapter =
      get_bool_or(j, "use_intermediate_ffn_before_adapter", false, source);
  try {
    c.validate();
  } catch (const ConfigError& e) {
    throw ConfigError(source + ": " + e.what());
  }
  return c;
}

Wav2Vec2BertConfig Wav2Vec2BertConfig::from_json_file(const std::string& path) {
  return from_json(io::read_file(path), path);
}

std::string Wav2Vec2BertConfig::to_json() const {
  json j = {
      {"model_type", "wav2vec2-bert"},
      {"feature_projection_input_dim", feature_projection_input_dim},
      {"hidden_size", hidden_size},
      {"num_hidden_layers", num_hidden_layers},
      {"num_attention_heads", num_attention_heads},
      {"intermediate_size", intermediate_size},
      {"hidden_act", hidden_act},
      {"layer_norm_eps", layer_norm_eps},
      {"position_embeddings_type", position_embeddings_type},
      {"left_max_position_embeddings", left_max_position_embeddings},
      {"right_max_position_embeddings", right_max_position_embeddings},
      {"conv_depthwise_kernel_size", conv_depthwise_kernel_size},
      {"add_adapter", add_adapter},
      {"use_intermediate_ffn_before_adapter", use_intermediate_ffn_before_adapter},
  };
  return j.dump(2);
}

}  // namespace xcodec::models
