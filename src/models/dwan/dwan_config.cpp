#include "xcodec/models/dwan/dwan_config.h"

#include <cmath>

#include "xcodec/core/error.h"
#include "xcodec/io/yaml_fields.h"
#include "xcodec/models/quantizers/quantizer_config_yaml.h"

namespace xcodec::models {

namespace {

const char* const kPath = "model";

[[noreturn]] void fail(const std::string& key, const std::string& why) {
  throw ConfigError("config key '" + io::join_key(kPath, key) + "': " + why);
}

bool same_quantizer(const QuantizerConfig& a, const QuantizerConfig& b) {
  return a.kind == b.kind && a.dim == b.dim && a.levels == b.levels &&
         a.fsq_legacy_bound == b.fsq_legacy_bound && a.codebook_size == b.codebook_size &&
         a.codebook_dim == b.codebook_dim && a.commitment_weight == b.commitment_weight &&
         a.ema_decay == b.ema_decay && a.ema_eps == b.ema_eps &&
         a.dead_code_threshold == b.dead_code_threshold && a.entropy_weight == b.entropy_weight &&
         a.diversity_gamma == b.diversity_gamma && a.inv_temperature == b.inv_temperature;
}

void check_positive(int64_t value, const std::string& key) {
  if (value <= 0) fail(key, "must be > 0, got " + std::to_string(value));
}

}  // namespace

int64_t DwanConfig::embed_dim() const { return natural_quantizer_dim(quantizer); }

QuantizerConfig DwanConfig::quantizer_config() const {
  QuantizerConfig q = quantizer;
  q.dim = embed_dim();
  return q;
}

double DwanConfig::decoder_layer_scale_value() const {
  if (decoder_layer_scale != 0.0) return decoder_layer_scale;
  return 1.0 / std::sqrt(static_cast<double>(decoder_layers));
}

void DwanConfig::validate() const {
  if (name != "dwan") fail("name", "must be 'dwan', got '" + name + "'");
  check_positive(sample_rate, "sample_rate");
  if (strides.empty()) fail("strides", "needs at least one stage");
  int64_t product = 1;
  for (const int64_t s : strides) {
    // Even strides keep T = floor(L / hop) (k = 2s, padding s/2 gives floor(L/s) per stage).
    if (s < 2 || s % 2 != 0) fail("strides", "entries must be even and >= 2");
    product *= s;
  }
  const size_t stages = strides.size();
  if (dims.size() < stages) fail("dims", "needs at least len(strides) entries");
  if (depths.size() < stages) fail("depths", "needs at least len(strides) entries");
  for (size_t i = 0; i < stages; ++i) {
    check_positive(dims[i], "dims");
    if (depths[i] < 0) fail("depths", "entries must be >= 0");
  }
  quantizer.validate(kPath);
  check_positive(decoder_dim, "decoder_dim");
  check_positive(decoder_intermediate, "decoder_intermediate");
  if (decoder_layers < 1) fail("decoder_layers", "must be >= 1");
  if (decoder_dw_kernel < 1 || decoder_dw_kernel % 2 != 1)
    fail("decoder_dw_kernel", "must be a positive odd number");
  if (decoder_layer_scale < 0) fail("decoder_layer_scale", "must be >= 0 (0 = 1/sqrt(layers))");
  if (hop != product) {
    fail("hop", "must equal the product of strides (" + std::to_string(product) + "), got " +
                    std::to_string(hop));
  }
  // Centre-mode ISTFT with a periodic Hann window needs overlapping frames (NOLA).
  if (n_fft % 2 != 0 || n_fft < 2 * hop) fail("n_fft", "must be even and >= 2 * hop");
  const int64_t r = head_upsample;
  if (r < 1 || hop % r != 0 || n_fft % r != 0 || (n_fft / r) % 2 != 0) {
    fail("head_upsample", "must be >= 1 and divide hop and n_fft with n_fft / head_upsample even");
  }
}

YAML::Node DwanConfig::to_node() const {
  YAML::Node n;
  n["name"] = io::yaml_value(name);
  n["sample_rate"] = io::yaml_value(sample_rate);
  n["strides"] = io::yaml_value(strides);
  n["dims"] = io::yaml_value(dims);
  n["depths"] = io::yaml_value(depths);
  n["encoder_layer_scale"] = io::yaml_value(encoder_layer_scale);
  write_quantizer_config(quantizer, n);
  n["decoder_dim"] = io::yaml_value(decoder_dim);
  n["decoder_intermediate"] = io::yaml_value(decoder_intermediate);
  n["decoder_layers"] = io::yaml_value(decoder_layers);
  n["decoder_dw_kernel"] = io::yaml_value(decoder_dw_kernel);
  n["decoder_layer_scale"] = io::yaml_value(decoder_layer_scale);
  n["n_fft"] = io::yaml_value(n_fft);
  n["hop"] = io::yaml_value(hop);
  if (head_upsample != 1) n["head_upsample"] = io::yaml_value(head_upsample);
  return n;
}

std::string DwanConfig::to_yaml() const { return io::emit_yaml(to_node()); }

DwanConfig DwanConfig::from_node(const YAML::Node& node, const std::string& path) {
  DwanConfig c;
  io::YamlReader r(node, path);
  r.read("name", c.name);
  r.read("sample_rate", c.sample_rate);
  r.read("strides", c.strides);
  r.read("dims", c.dims);
  r.read("depths", c.depths);
  r.read("encoder_layer_scale", c.encoder_layer_scale);
  read_quantizer_config(r, c.quantizer);
  r.read("decoder_dim", c.decoder_dim);
  r.read("decoder_intermediate", c.decoder_intermediate);
  r.read("decoder_layers", c.decoder_layers);
  r.read("decoder_dw_kernel", c.decoder_dw_kernel);
  r.read("decoder_layer_scale", c.decoder_layer_scale);
  r.read("n_fft", c.n_fft);
  r.read("hop", c.hop);
  r.read("head_upsample", c.head_upsample);
  r.finish();
  c.validate();
  return c;
}

DwanConfig DwanConfig::from_yaml(const std::string& text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(std::string("model config: invalid YAML: ") + e.what());
  }
  return from_node(root);
}

DwanConfig DwanConfig::from_yaml_file(const std::string& path) {
  return io::parse_config_file(path, [](const std::string& text) { return from_yaml(text); });
}

bool operator==(const DwanConfig& a, const DwanConfig& b) {
  return a.name == b.name && a.sample_rate == b.sample_rate && a.strides == b.strides &&
         a.dims == b.dims && a.depths == b.depths &&
         a.encoder_layer_scale == b.encoder_layer_scale &&
         same_quantizer(a.quantizer, b.quantizer) && a.decoder_dim == b.decoder_dim &&
         a.decoder_intermediate == b.decoder_intermediate && a.decoder_layers == b.decoder_layers &&
         a.decoder_dw_kernel == b.decoder_dw_kernel &&
         a.decoder_layer_scale == b.decoder_layer_scale && a.n_fft == b.n_fft && a.hop == b.hop &&
         a.head_upsample == b.head_upsample;
}

}  // namespace xcodec::models
