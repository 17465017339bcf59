#pragma once
/// Configuration of the X-Codec-2.0 model (spec xcodec2.md §1.2). Plain aggregates whose field
/// names are the YAML keys; in-class defaults are the original defaults (config/model/
/// default.yaml plus the values the original hard-codes). Shipped files: configs/model/
/// xcodec2.yaml (defaults), xcodec2-small.yaml (the fixture sizes), tiny.yaml (fast tests).
///
///   sample_rate: 16000
///   codec_encoder: {ngf: 48, up_ratios: [2, 2, 4, 4, 5], dilations: [1, 3, 9], hidden_dim: 1024}
///   codec_decoder: {hidden_dim: 1024, depth: 12, heads: 16, pos_meb_dim: 64, hop_length: 320,
///                   vq_dim: 2048, vq_num_quantizers: 1, levels: [4, 4, 4, 4, 4, 4, 4, 4]}
///   semantic: {hidden_size: 1024, code_dim: 1024, channels: 1024, kernel_size: 3,
///              teacher: "", teacher_layer: 16}
#include <string>
#include <vector>

#include "xcodec/models/decoder/codec_decoder_vocos.h"
#include "xcodec/models/encoder/codec_encoder.h"

namespace xcodec::models {

/// YAML group `semantic`: the adapters around the w2v-BERT features.
struct SemanticConfig {
  int64_t hidden_size = 1024;  ///< w2v-BERT hidden_states[16] width (adapter in / recon out)
  int64_t code_dim = 1024;     ///< SemanticEncoder output width = SemanticDecoder input width
  int64_t channels = 1024;     ///< inner width of both adapters (encode/decode_channels)
  int64_t kernel_size = 3;     ///< adapter conv taps (odd)
  /// The w2v-BERT teacher: a folder with its config.json + model.safetensors (the released
  /// facebook/w2v-bert-2.0), "random" (a small seeded random teacher for tests and smoke runs)
  /// or "none" (no semantic branch input: zeros, no semantic loss). "" = not set: training then
  /// asks for the folder; encoding uses `semantic_model.*` weights inside the model file.
  std::string teacher;
  int64_t teacher_layer = 16;  ///< hidden_states index used (16 = output of layer 15)
};

struct XCodec2Config {
  int64_t sample_rate = 16000;             ///< Hz
  CodecEncoderOptions codec_encoder;       ///< acoustic encoder `CodecEnc`
  CodecDecoderVocosOptions codec_decoder;  ///< quantizer + decoder `generator`
  SemanticConfig semantic;                 ///< semantic adapters

  /// Samples per token (= product of codec_encoder.up_ratios = codec_decoder.hop_length).
  int64_t hop_length() const { return codec_decoder.hop_length; }
  /// Tokens per second.
  double frame_rate() const {
    return static_cast<double>(sample_rate) / static_cast<double>(hop_length());
  }
  /// fc_prior input width = semantic.code_dim + codec_encoder.hidden_dim.
  int64_t fusion_dim() const { return semantic.code_dim + codec_encoder.hidden_dim; }

  /// Throws ConfigError naming the first offending key.
  void validate() const;
  /// YAML text (all keys, defaults included); from_yaml(to_yaml()) round-trips.
  std::string to_yaml() const;
  /// Parses YAML text; missing keys keep their defaults, unknown keys throw ConfigError
  /// (except the original's unused keys, which are accepted and ignored). Validates.
  static XCodec2Config from_yaml(const std::string& text);
  static XCodec2Config from_yaml_file(const std::string& path);
  /// Reads the reference fixture's config.json (codec_encoder / codec_decoder / quantizer /
  /// semantic groups of the Python dump). Validates.
  static XCodec2Config from_json_file(const std::string& path);
  /// Named presets: "xcodec2" (defaults), "xcodec2-small", "tiny". Unknown names throw
  /// ConfigError listing the known ones.
  static XCodec2Config preset(const std::string& name);
  static std::vector<std::string> preset_names();
};

bool operator==(const XCodec2Config& a, const XCodec2Config& b);

}  // namespace xcodec::models
