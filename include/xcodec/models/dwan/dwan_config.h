#pragma once
/// Configuration of the DwanCodec generator (spec quantizers-and-variants.md §5.2): the
/// original's `VQVAE` with the argparse defaults of `utils/arguments.py`. A plain aggregate whose
/// field names are the keys of the `model` group; the quantizer keys (`quantizer`, `levels`,
/// ...) sit at the same level, as QuantizerConfig documents. Shipped files:
/// configs/model/dwan24k.yaml (the original) and configs/model/dwan-tiny.yaml (tests, smoke runs).
///
///   name: dwan
///   sample_rate: 24000
///   strides: [8, 8, 8]
///   dims: [128, 256, 512, 512]
///   depths: [3, 3, 9, 3]
///   quantizer: fsq
///   levels: [8, 8, 8, 6, 5]
///   decoder_dim: 768
///   ...
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

#include "xcodec/models/quantizers/quantizer.h"

namespace xcodec::models {

struct DwanConfig {
  std::string name = "dwan";    ///< registry name; must be "dwan"
  int64_t sample_rate = 24000;  ///< Hz
  /// Encoder downsampling per stage (each even, ≥ 2); their product is the hop.
  std::vector<int64_t> strides{8, 8, 8};
  /// Encoder widths: the stem and stage 0 use dims[0], stage i dims[i]. Only the first
  /// len(strides) entries are used (the original's default has 4).
  std::vector<int64_t> dims{128, 256, 512, 512};
  /// ConvNeXt blocks per encoder stage; only the first len(strides) entries are used.
  std::vector<int64_t> depths{3, 3, 9, 3};
  /// Encoder ConvNeXt layer-scale init (gamma); ≤ 0 = no gamma (the original's rule).
  double encoder_layer_scale = 1e-6;
  /// Quantizer keys of this group (`quantizer`, `levels`, ...). `dim` is not a key: it is
  /// natural_quantizer_dim() (fsq: len(levels), so no projections).
  QuantizerConfig quantizer;
  int64_t decoder_dim = 768;            ///< Vocos backbone width
  int64_t decoder_intermediate = 2304;  ///< ConvNeXt hidden width (3 × decoder_dim originally)
  int64_t decoder_layers = 8;           ///< ConvNeXt blocks in the decoder
  int64_t decoder_dw_kernel = 3;        ///< depthwise kernel of the decoder blocks (odd)
  /// Decoder layer-scale init; 0 = 1/sqrt(decoder_layers) (the original's `value or 1/√N`).
  double decoder_layer_scale = 0.0;
  int64_t n_fft = 1024;  ///< ISTFT size = window, samples (even, ≥ 2·hop)
  int64_t hop = 512;     ///< samples per frame (= product of strides)
  /// Not in the original (1 = its layout): ISTFT frames per token. With r > 1 the backbone output
  /// goes through a SubframeUpsample (key `dec.upsample.*`) and the head runs at
  /// hop / r with n_fft / r; the output keeps (T − 1)·hop samples.
  int64_t head_upsample = 1;

  /// Width of the latent entering the quantizer (= natural_quantizer_dim(quantizer)).
  int64_t embed_dim() const;
  /// The QuantizerConfig passed to make_quantizer(): `quantizer` with dim = embed_dim().
  QuantizerConfig quantizer_config() const;
  /// The decoder's gamma init (decoder_layer_scale, or 1/sqrt(decoder_layers) when 0).
  double decoder_layer_scale_value() const;
  /// Frames per second.
  double frame_rate() const { return static_cast<double>(sample_rate) / static_cast<double>(hop); }

  /// Throws ConfigError naming the first offending key (`model.<key>`).
  void validate() const;
  /// Every key (defaults included) as a YAML map; from_node(to_node()) round-trips.
  YAML::Node to_node() const;
  /// YAML text of to_node() (begins with `name: dwan`).
  std::string to_yaml() const;
  /// Reads a `model` group; missing keys keep their defaults, unknown keys throw ConfigError
  /// naming `<path>.<key>`. Validates.
  static DwanConfig from_node(const YAML::Node& node, const std::string& path = "model");
  static DwanConfig from_yaml(const std::string& text);
  static DwanConfig from_yaml_file(const std::string& path);
};

bool operator==(const DwanConfig& a, const DwanConfig& b);
inline bool operator!=(const DwanConfig& a, const DwanConfig& b) { return !(a == b); }

}  // namespace xcodec::models
