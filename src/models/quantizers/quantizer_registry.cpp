// The quantizer registry: one row per kind (name, builder, natural width), plus
// QuantizerConfig::validate() and the YAML of QuantizerConfig.
#include <torch/torch.h>

#include <cmath>
#include <sstream>

#include "xcodec/core/error.h"
#include "xcodec/io/yaml_fields.h"
#include "xcodec/models/quantizers/fsq_quantizer.h"
#include "xcodec/models/quantizers/lfq.h"
#include "xcodec/models/quantizers/quantizer.h"
#include "xcodec/models/quantizers/quantizer_config_yaml.h"
#include "xcodec/models/quantizers/vector_quantizer.h"

namespace xcodec::models {

namespace {

int64_t log2_exact(int64_t n) {
  int64_t d = 0;
  while ((int64_t{1} << d) < n) ++d;
  return d;
}

std::shared_ptr<Quantizer> make_fsq(const QuantizerConfig& c, int64_t dim) {
  FsqQuantizerOptions o;
  o.dim = dim;
  o.levels = c.levels;
  o.legacy_bound = c.fsq_legacy_bound;
  return std::make_shared<FsqQuantizerImpl>(o);
}

std::shared_ptr<Quantizer> make_lfq(const QuantizerConfig& c, int64_t dim) {
  LfqOptions o;
  o.dim = dim;
  o.codebook_size = c.codebook_size;
  o.entropy_weight = c.entropy_weight;
  o.commitment_weight = c.commitment_weight;
  o.diversity_gamma = c.diversity_gamma;
  o.inv_temperature = c.inv_temperature;
  return std::make_shared<LfqImpl>(o);
}

std::shared_ptr<Quantizer> make_vq(const QuantizerConfig& c, int64_t dim, bool ema) {
  VectorQuantizerOptions o;
  o.dim = dim;
  o.codebook_size = c.codebook_size;
  o.codebook_dim = c.codebook_dim;
  o.ema = ema;
  o.commitment_weight = c.commitment_weight;
  o.decay = c.ema_decay;
  o.eps = c.ema_eps;
  o.dead_code_threshold = c.dead_code_threshold;
  return std::make_shared<VectorQuantizerImpl>(o);
}

int64_t fsq_dim(const QuantizerConfig& c) { return static_cast<int64_t>(c.levels.size()); }
int64_t lfq_dim(const QuantizerConfig& c) { return log2_exact(c.codebook_size); }
int64_t vq_dim(const QuantizerConfig& c) { return c.codebook_dim; }

struct QuantizerKind {
  const char* name;
  std::shared_ptr<Quantizer> (*make)(const QuantizerConfig&, int64_t dim);
  int64_t (*natural_dim)(const QuantizerConfig&);
};

// The registry: one line per kind.
const QuantizerKind kKinds[] = {
    {"fsq", make_fsq, fsq_dim},
    {"lfq", make_lfq, lfq_dim},
    {"ema", [](const QuantizerConfig& c, int64_t d) { return make_vq(c, d, true); }, vq_dim},
    {"vq", [](const QuantizerConfig& c, int64_t d) { return make_vq(c, d, false); }, vq_dim},
};

std::string known_kinds() {
  std::string s;
  for (const auto& k : kKinds) s += (s.empty() ? "" : ", ") + std::string(k.name);
  return s;
}

const QuantizerKind& find_kind(const std::string& kind, const std::string& path) {
  for (const auto& k : kKinds)
    if (kind == k.name) return k;
  throw ConfigError(io::join_key(path, "quantizer") + "=" + kind +
                    ": unknown quantizer; known: " + known_kinds());
}

void require(bool ok, const std::string& path, const char* key, const std::string& what) {
  if (!ok) throw ConfigError(io::join_key(path, key) + " " + what);
}

std::string num(double v) { return io::format_double(v); }

}  // namespace

std::vector<std::string> quantizer_kinds() {
  std::vector<std::string> out;
  for (const auto& k : kKinds) out.emplace_back(k.name);
  return out;
}

int64_t natural_quantizer_dim(const QuantizerConfig& config) {
  return find_kind(config.kind, "model").natural_dim(config);
}

std::shared_ptr<Quantizer> make_quantizer(const QuantizerConfig& config) {
  config.validate();
  const QuantizerKind& k = find_kind(config.kind, "model");
  return k.make(config, config.dim > 0 ? config.dim : k.natural_dim(config));
}

void QuantizerConfig::validate(const std::string& path) const {
  find_kind(kind, path);
  require(dim >= 0, path, "dim",
          "must be >= 0 (0 = the natural width), got " + std::to_string(dim));
  if (kind == "fsq") {
    require(!levels.empty(), path, "levels", "must not be empty");
    double product = 1;
    for (const int64_t l : levels) {
      require(l >= 2, path, "levels", "entries must be >= 2, got " + std::to_string(l));
      product *= static_cast<double>(l);
    }
    require(product <= 2147483648.0, path, "levels",
            "product must be <= 2^31 (int32 indices), got " + num(product));
    return;
  }
  require(commitment_weight >= 0, path, "commitment_weight",
          "must be >= 0, got " + num(commitment_weight));
  if (kind == "lfq") {
    const int64_t k = codebook_size;
    require(k >= 2 && k <= 65536 && (k & (k - 1)) == 0, path, "codebook_size",
            "must be a power of two in [2, 65536] for lfq, got " + std::to_string(k));
    require(entropy_weight >= 0, path, "entropy_weight",
            "must be >= 0, got " + num(entropy_weight));
    require(diversity_gamma >= 0, path, "diversity_gamma",
            "must be >= 0, got " + num(diversity_gamma));
    require(inv_temperature > 0, path, "inv_temperature",
            "must be > 0, got " + num(inv_temperature));
    return;
  }
  // ema, vq
  require(codebook_size >= 1 && codebook_size <= 2147483647, path, "codebook_size",
          "must be in [1, 2^31 - 1], got " + std::to_string(codebook_size));
  require(codebook_dim >= 1, path, "codebook_dim",
          "must be >= 1, got " + std::to_string(codebook_dim));
  require(ema_decay > 0 && ema_decay < 1, path, "ema_decay",
          "must be in (0, 1), got " + num(ema_decay));
  require(ema_eps >= 0, path, "ema_eps", "must be >= 0, got " + num(ema_eps));
  require(dead_code_threshold >= 0, path, "dead_code_threshold",
          "must be >= 0 (0 disables), got " + num(dead_code_threshold));
}

// ---- YAML ------------------------------------------------------------------------------------

const std::vector<std::string>& quantizer_config_keys() {
  static const std::vector<std::string> keys = {
      "quantizer",      "levels",          "fsq_legacy_bound",
      "codebook_size",  "codebook_dim",    "commitment_weight",
      "ema_decay",      "ema_eps",         "dead_code_threshold",
      "entropy_weight", "diversity_gamma", "inv_temperature"};
  return keys;
}

void read_quantizer_config(io::YamlReader& r, QuantizerConfig& out) {
  r.read("quantizer", out.kind);
  r.read("levels", out.levels);
  r.read("fsq_legacy_bound", out.fsq_legacy_bound);
  r.read("codebook_size", out.codebook_size);
  r.read("codebook_dim", out.codebook_dim);
  r.read("commitment_weight", out.commitment_weight);
  r.read("ema_decay", out.ema_decay);
  r.read("ema_eps", out.ema_eps);
  r.read("dead_code_threshold", out.dead_code_threshold);
  r.read("entropy_weight", out.entropy_weight);
  r.read("diversity_gamma", out.diversity_gamma);
  r.read("inv_temperature", out.inv_temperature);
}

void read_quantizer_config(const YAML::Node& model_group, QuantizerConfig& out,
                           const std::string& path) {
  io::YamlReader r(model_group, path);
  read_quantizer_config(r, out);  // no finish(): the group's other keys belong to the codec
}

void write_quantizer_config(const QuantizerConfig& c, YAML::Node& model_group) {
  model_group["quantizer"] = io::yaml_value(c.kind);
  model_group["levels"] = io::yaml_value(c.levels);
  model_group["fsq_legacy_bound"] = io::yaml_value(c.fsq_legacy_bound);
  model_group["codebook_size"] = io::yaml_value(c.codebook_size);
  model_group["codebook_dim"] = io::yaml_value(c.codebook_dim);
  model_group["commitment_weight"] = io::yaml_value(c.commitment_weight);
  model_group["ema_decay"] = io::yaml_value(c.ema_decay);
  model_group["ema_eps"] = io::yaml_value(c.ema_eps);
  model_group["dead_code_threshold"] = io::yaml_value(c.dead_code_threshold);
  model_group["entropy_weight"] = io::yaml_value(c.entropy_weight);
  model_group["diversity_gamma"] = io::yaml_value(c.diversity_gamma);
  model_group["inv_temperature"] = io::yaml_value(c.inv_temperature);
}

}  // namespace xcodec::models
