#pragma once
/// Configuration of the Wav2Vec2-BERT (w2v-BERT 2.0) encoder, read from the Hugging Face
/// `config.json` that ships with the weights. Field names equal the JSON keys. Defaults are the
/// values of facebook/w2v-bert-2.0 (spec: shared/spec/semantic-teacher.md §2.1), so
/// `Wav2Vec2BertConfig{}` is the released 600M-parameter architecture.
#include <cstdint>
#include <string>

namespace xcodec::models {

struct Wav2Vec2BertConfig {
  int64_t feature_projection_input_dim = 160;  ///< stacked fbank size (80 mels x stride 2)
  int64_t hidden_size = 1024;                  ///< model width
  int64_t num_hidden_layers = 24;              ///< conformer layers in the checkpoint
  int64_t num_attention_heads = 16;            ///< heads; head size = hidden_size / heads
  int64_t intermediate_size = 4096;            ///< inner size of both macaron feed-forwards
  std::string hidden_act = "swish";            ///< "swish"/"silu", "gelu" or "relu"
  double layer_norm_eps = 1e-5;                ///< epsilon of every LayerNorm
  std::string position_embeddings_type = "relative_key";  ///< only "relative_key" is supported
  int64_t left_max_position_embeddings = 64;  ///< relative distances clamped below at -left
  int64_t right_max_position_embeddings = 8;  ///< relative distances clamped above at +right
  int64_t conv_depthwise_kernel_size = 31;    ///< causal depthwise conv kernel (frames)
  bool add_adapter = false;                   ///< adapter after the encoder (never used here)
  bool use_intermediate_ffn_before_adapter = false;  ///< idem

  /// Size of one attention head.
  int64_t head_size() const { return hidden_size / num_attention_heads; }
  /// Rows of each layer's distance table: left + right + 1.
  int64_t num_relative_positions() const {
    return left_max_position_embeddings + right_max_position_embeddings + 1;
  }

  /// Throws ConfigError naming the key whose value is out of range or unsupported.
  void validate() const;

  /// Parses a HF config.json text. `source` names the file in error messages. Every field above
  /// except the two adapter flags is required (missing → ConfigError naming the key); keys this
  /// encoder does not use (dropouts, CTC, tokenizer settings, ...) are ignored. Validates.
  static Wav2Vec2BertConfig from_json(const std::string& text, const std::string& source);
  /// Reads and parses a config.json file (IoError if unreadable).
  static Wav2Vec2BertConfig from_json_file(const std::string& path);
  /// The fields above as a JSON object (HF key names), e.g. to write a config.json next to weights.
  std::string to_json() const;
};

}  // namespace xcodec::models
