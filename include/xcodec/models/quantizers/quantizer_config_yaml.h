#pragma once
/// YAML of QuantizerConfig. Its keys live in a codec's model group beside the codec's own keys
/// (`model.quantizer`, `model.levels`, ...), so the readers read only the quantizer keys and
/// leave the other keys (and finish()) to the caller.
///
///   io::YamlReader r(model_node, "model");
///   read_quantizer_config(r, config.quantizer);   // marks the quantizer keys as known
///   r.read("embed_dim", config.embed_dim); ... r.finish();
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "xcodec/io/yaml_fields.h"
#include "xcodec/models/quantizers/quantizer.h"

namespace xcodec::models {

/// The YAML keys of QuantizerConfig: quantizer, levels, fsq_legacy_bound, codebook_size,
/// codebook_dim, commitment_weight, ema_decay, ema_eps, dead_code_threshold, entropy_weight,
/// diversity_gamma, inv_temperature. (`dim` is set by the codec, not read from YAML.)
const std::vector<std::string>& quantizer_config_keys();

/// Reads the quantizer keys present in `model_group` into `out` (absent keys keep their
/// values); type errors are ConfigErrors naming `<path>.<key>`. Other keys are left alone.
/// Does not validate (call out.validate(path)).
void read_quantizer_config(const YAML::Node& model_group, QuantizerConfig& out,
                           const std::string& path);
/// The same through the caller's reader, which then counts these keys as known for finish().
void read_quantizer_config(io::YamlReader& reader, QuantizerConfig& out);

/// Sets every quantizer key (all kinds' keys, so a written file round-trips and switching
/// `quantizer:` needs no other edit) on the mapping `model_group`.
void write_quantizer_config(const QuantizerConfig& config, YAML::Node& model_group);

}  // namespace xcodec::models
