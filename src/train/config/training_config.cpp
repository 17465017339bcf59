#include "xcodec/train/config/training_config.h"

#include <filesystem>
#include <sstream>

#include "xcodec/core/error.h"
#include "xcodec/io/atomic_file.h"
#include "xcodec/io/yaml_fields.h"
#include "xcodec/models/discriminators/discriminator_set.h"
#include "xcodec/train/config/compose.h"
#include "xcodec/train/loss_terms.h"

namespace xcodec::train {

using io::join_key;
using io::yaml_value;

namespace {
[[noreturn]] void fail(const std::string& path, const std::string& key, const std::string& why) {
  throw ConfigError("config key '" + join_key(path, key) + "': " + why);
}
}  // namespace

// ---- dataset -------------------------------------------------------------------------------

void DatasetSplitConfig::from_yaml(const YAML::Node& node, const std::string& path) {
  io::YamlReader r(node, path);
  r.read("batch_size", batch_size);
  r.read("shuffle", shuffle);
  r.finish();
}

YAML::Node DatasetSplitConfig::to_yaml() const {
  YAML::Node n;
  n["batch_size"] = yaml_value(batch_size);
  n["shuffle"] = yaml_value(shuffle);
  return n;
}

void DatasetSplitConfig::validate(const std::string& path) const {
  if (batch_size < 1) fail(path, "batch_size", "must be >= 1, got " + std::to_string(batch_size));
}

void DatasetConfig::from_yaml(const YAML::Node& node, const std::string& path) {
  io::YamlReader r(node, path);
  r.read("names", names);
  r.read("weights", weights);
  r.read("sample_rate", sample_rate);
  r.read("min_audio_length", min_audio_length);
  r.read("num_workers", num_workers);
  r.read("prefetch_batches", prefetch_batches);
  train.from_yaml(r.child("train"), r.key_path("train"));
  val.from_yaml(r.child("val"), r.key_path("val"));
  r.finish();
}

YAML::Node DatasetConfig::to_yaml() const {
  YAML::Node n;
  n["names"] = yaml_value(names);
  n["weights"] = weights.empty() ? YAML::Node(YAML::NodeType::Null) : yaml_value(weights);
  n["sample_rate"] = yaml_value(sample_rate);
  n["min_audio_length"] = yaml_value(min_audio_length);
  n["num_workers"] = yaml_value(num_workers);
  n["prefetch_batches"] = yaml_value(prefetch_batches);
  n["train"] = train.to_yaml();
  n["val"] = val.to_yaml();
  return n;
}

void DatasetConfig::validate(const std::string& path) const {
  if (names.empty())
    fail(path, "names",
         "no dataset named; pass e.g. " + join_key(path, "names") + "='[librispeech]'");
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) fail(path, "names", "entry " + std::to_string(i) + " is empty");
    for (size_t j = 0; j < i; ++j)
      if (names[j] == names[i]) fail(path, "names", "'" + names[i] + "' is listed twice");
  }
  if (!weights.empty()) {
    if (weights.size() != names.size())
      fail(path, "weights",
           "needs one weight per dataset name (" + std::to_string(names.size()) + "), got " +
               std::to_string(weights.size()));
    double total = 0;
    for (double w : weights) {
      if (!(w >= 0)) fail(path, "weights", "weights must be >= 0");
      total += w;
    }
    if (!(total > 0)) fail(path, "weights", "at least one weight must be > 0");
  }
  if (sample_rate < 1) fail(path, "sample_rate", "must be >= 1");
  if (min_audio_length < 1) fail(path, "min_audio_length", "must be >= 1 sample");
  if (num_workers < 0) fail(path, "num_workers", "must be >= 0");
  if (prefetch_batches < 1) fail(path, "prefetch_batches", "must be >= 1");
  train.validate(join_key(path, "train"));
  val.validate(join_key(path, "val"));
}

bool DatasetConfig::operator==(const DatasetConfig& o) const {
  return names == o.names && weights == o.weights && sample_rate == o.sample_rate &&
         min_audio_length == o.min_audio_length && num_workers == o.num_workers &&
         prefetch_batches == o.prefetch_batches && train == o.train && val == o.val;
}

// ---- train.trainer -------------------------------------------------------------------------

Precision TrainerConfig::precision_kind() const {
  if (precision == "32" || precision == "32-true") return Precision::kFloat32;
  if (precision == "bf16-mixed") return Precision::kBFloat16Mixed;
  if (precision == "16-mixed") return Precision::kFloat16Mixed;
  throw ConfigError(
      "config key 'train.trainer.precision': expected 32, bf16-mixed or 16-mixed, got '" +
      precision + "'");
}

void TrainerConfig::from_yaml(const YAML::Node& node, const std::string& path) {
  io::YamlReader r(node, path);
  r.read("max_steps", max_steps);
  r.read("accumulate_grad_batches", accumulate_grad_batches);
  r.read("devices", devices);
  r.read("accelerator", accelerator);
  r.read("precision", precision);
  r.read("limit_val_batches", limit_val_batches);
  r.read("log_every", log_every);
  r.read("clip_scaled_gradients", clip_scaled_gradients);
  r.read("dist_timeout_s", dist_timeout_s);
  r.finish();
}

YAML::Node TrainerConfig::to_yaml() const {
  YAML::Node n;
  n["max_steps"] = yaml_value(max_steps);
  n["accumulate_grad_batches"] = yaml_value(accumulate_grad_batches);
  n["devices"] = yaml_value(devices);
  n["accelerator"] = yaml_value(accelerator);
  n["precision"] = yaml_value(precision);
  n["limit_val_batches"] = yaml_value(limit_val_batches);
  n["log_every"] = yaml_value(log_every);
  n["clip_scaled_gradients"] = yaml_value(clip_scaled_gradients);
  n["dist_timeout_s"] = yaml_value(dist_timeout_s);
  return n;
}

void TrainerConfig::validate(const std::string& path) const {
  if (max_steps < 1) fail(path, "max_steps", "must be >= 1, got " + std::to_string(max_steps));
  if (accumulate_grad_batches < 1) fail(path, "accumulate_grad_batches", "must be >= 1");
  if (devices < 1) fail(path, "devices", "must be >= 1");
  if (accelerator != "auto" && accelerator != "cpu" && accelerator != "cuda")
    fail(path, "accelerator", "expected auto, cpu or cuda, got '" + accelerator + "'");
  if (precision != "32" && precision != "32-true" && precision != "bf16-mixed" &&
      precision != "16-mixed")
    fail(path, "precision", "expected 32, bf16-mixed or 16-mixed, got '" + precision + "'");
  if (limit_val_batches < 0) fail(path, "limit_val_batches", "must be >= 0");
  if (log_every < 1) fail(path, "log_every", "must be >= 1");
  if (!(dist_timeout_s > 0)) fail(path, "dist_timeout_s", "must be > 0 (seconds)");
}

bool TrainerConfig::operator==(const TrainerConfig& o) const {
  return max_steps == o.max_steps && accumulate_grad_batches == o.accumulate_grad_batches &&
         devices == o.devices && accelerator == o.accelerator && precision == o.precision &&
         limit_val_batches == o.limit_val_batches && log_every == o.log_every &&
         clip_scaled_gradients == o.clip_scaled_gradients && dist_timeout_s == o.dist_timeout_s;
}

// ---- train.lambdas -------------------------------------------------------------------------

double LossWeights::at(const std::string& term) const {
  const auto it = weights.find(term);
  return it == weights.end() ? 0.0 : it->second;
}

void LossWeights::from_yaml(const YAML::Node& node, const std::string& path) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap())
    throw ConfigError("config key '" + path + "': must be a mapping of term: weight");
  io::YamlReader r(node, path);
  for (const auto& kv : node) {
    const std::string term = kv.first.as<std::string>();
    if (!is_loss_term(term)) continue;  // finish() names it with the known ones
    double w = 0;
    r.read(term, w);
    weights[term] = w;
  }
  try {
    r.finish();
  } catch (const ConfigError& e) {
    throw ConfigError(std::string(e.what()) + " (loss terms: " + loss_term_names() + ")");
  }
}

YAML::Node LossWeights::to_yaml() const {
  YAML::Node n;
  for (const auto& t : loss_terms()) {
    if (weights.count(t.name)) n[t.name] = yaml_value(weights.at(t.name));
  }
  return n;
}

void LossWeights::validate(const std::string& path) const {
  for (const auto& [key, value] : weights) {
    if (!is_loss_term(key)) fail(path, key, "unknown loss term; known: " + loss_term_names());
    if (!(value >= 0)) fail(path, key, "must be a number >= 0");
  }
}

// ---- train ---------------------------------------------------------------------------------

void TrainConfig::from_yaml(const YAML::Node& node, const std::string& path) {
  io::YamlReader r(node, path);
  trainer.from_yaml(r.child("trainer"), r.key_path("trainer"));
  r.read("checkpoint_every", checkpoint_every);
  r.read("val_every", val_every);
  r.read("val_examples", val_examples);
  r.read("max_nonfinite_steps", max_nonfinite_steps);
  r.read("stop_on_collapse", stop_on_collapse);
  health.from_yaml(r.child("health"), r.key_path("health"));
  lambdas.from_yaml(r.child("lambdas"), r.key_path("lambdas"));
  r.read("use_mel_loss", use_mel_loss);
  r.read("use_adv_loss", use_adv_loss);
  r.read("use_feat_loss", use_feat_loss);
  r.read("use_semantic_loss", use_semantic_loss);
  r.read("use_stft_loss", use_stft_loss);
  mel_loss.from_yaml(r.child("mel_loss"), r.key_path("mel_loss"));
  stft_loss.from_yaml(r.child("stft_loss"), r.key_path("stft_loss"));
  gen_optimizer.from_yaml(r.child("gen_optimizer"), r.key_path("gen_optimizer"));
  disc_optimizer.from_yaml(r.child("disc_optimizer"), r.key_path("disc_optimizer"));
  gen_scheduler.from_yaml(r.child("gen_scheduler"), r.key_path("gen_scheduler"));
  disc_scheduler.from_yaml(r.child("disc_scheduler"), r.key_path("disc_scheduler"));
  r.read("gen_grad_clip", gen_grad_clip);
  r.read("disc_grad_clip", disc_grad_clip);
  r.finish();
}

YAML::Node TrainConfig::to_yaml() const {
  YAML::Node n;
  n["trainer"] = trainer.to_yaml();
  n["checkpoint_every"] = yaml_value(checkpoint_every);
  n["val_every"] = yaml_value(val_every);
  n["val_examples"] = yaml_value(val_examples);
  n["max_nonfinite_steps"] = yaml_value(max_nonfinite_steps);
  n["stop_on_collapse"] = yaml_value(stop_on_collapse);
  n["health"] = health.to_yaml();
  n["lambdas"] = lambdas.to_yaml();
  n["use_mel_loss"] = yaml_value(use_mel_loss);
  n["use_adv_loss"] = yaml_value(use_adv_loss);
  n["use_feat_loss"] = yaml_value(use_feat_loss);
  n["use_semantic_loss"] = yaml_value(use_semantic_loss);
  n["use_stft_loss"] = yaml_value(use_stft_loss);
  n["mel_loss"] = mel_loss.to_yaml();
  n["stft_loss"] = stft_loss.to_yaml();
  n["gen_optimizer"] = gen_optimizer.to_yaml();
  n["disc_optimizer"] = disc_optimizer.to_yaml();
  n["gen_scheduler"] = gen_scheduler.to_yaml();
  n["disc_scheduler"] = disc_scheduler.to_yaml();
  n["gen_grad_clip"] = yaml_value(gen_grad_clip);
  n["disc_grad_clip"] = yaml_value(disc_grad_clip);
  return n;
}

double TrainConfig::weight(const std::string& term) const {
  const std::pair<const char*, bool> switches[] = {{"mel", use_mel_loss},
                                                   {"adv", use_adv_loss},
                                                   {"feat", use_feat_loss},
                                                   {"semantic", use_semantic_loss},
                                                   {"stft", use_stft_loss}};
  for (const auto& [name, on] : switches) {
    if (term == name && !on) return 0.0;
  }
  return lambdas.at(term);
}

void TrainConfig::validate(const std::string& path) const {
  trainer.validate(join_key(path, "trainer"));
  if (checkpoint_every < 0) fail(path, "checkpoint_every", "must be >= 0 (0 = only last.ckpt)");
  if (val_every < 0) fail(path, "val_every", "must be >= 0 (0 = never)");
  if (val_examples < 0) fail(path, "val_examples", "must be >= 0");
  if (max_nonfinite_steps < 1) fail(path, "max_nonfinite_steps", "must be >= 1");
  health.validate(join_key(path, "health"));
  lambdas.validate(join_key(path, "lambdas"));
  bool any = false;
  for (const auto& t : loss_terms()) any = any || (t.name != "disc" && weight(t.name) > 0);
  if (!any) fail(path, "lambdas", "every generator loss term has weight 0 or is switched off");
  mel_loss.validate(join_key(path, "mel_loss"));
  stft_loss.validate(join_key(path, "stft_loss"));
  gen_optimizer.validate(join_key(path, "gen_optimizer"));
  disc_optimizer.validate(join_key(path, "disc_optimizer"));
  gen_scheduler.validate(join_key(path, "gen_scheduler"));
  disc_scheduler.validate(join_key(path, "disc_scheduler"));
  if (!(gen_grad_clip >= 0)) fail(path, "gen_grad_clip", "must be >= 0 (0 = no clipping)");
  if (!(disc_grad_clip >= 0)) fail(path, "disc_grad_clip", "must be >= 0 (0 = no clipping)");
}

bool TrainConfig::operator==(const TrainConfig& o) const {
  return trainer == o.trainer && checkpoint_every == o.checkpoint_every &&
         val_every == o.val_every && val_examples == o.val_examples &&
         max_nonfinite_steps == o.max_nonfinite_steps && stop_on_collapse == o.stop_on_collapse &&
         health == o.health && lambdas == o.lambdas && use_mel_loss == o.use_mel_loss &&
         use_adv_loss == o.use_adv_loss && use_feat_loss == o.use_feat_loss &&
         use_semantic_loss == o.use_semantic_loss && use_stft_loss == o.use_stft_loss &&
         mel_loss == o.mel_loss && stft_loss == o.stft_loss && gen_optimizer == o.gen_optimizer &&
         disc_optimizer == o.disc_optimizer && gen_scheduler == o.gen_scheduler &&
         disc_scheduler == o.disc_scheduler && gen_grad_clip == o.gen_grad_clip &&
         disc_grad_clip == o.disc_grad_clip;
}

// ---- top level -----------------------------------------------------------------------------

TrainingConfig TrainingConfig::from_yaml(const YAML::Node& root) {
  TrainingConfig c;
  io::YamlReader r(root, "");
  r.read("data_dir", c.data_dir);
  c.dataset.from_yaml(r.child("dataset"), "dataset");
  const YAML::Node model = r.child("model");
  if (model.IsDefined() && !model.IsNull()) {
    if (!model.IsMap())
      throw ConfigError(
          "config key 'model': expected the model config (a mapping); choose one "
          "with model=NAME");
    c.model = YAML::Clone(model);
  }
  const YAML::Node disc = r.child("discriminator");
  if (disc.IsDefined() && !disc.IsNull()) {
    if (!disc.IsMap()) throw ConfigError("config key 'discriminator': must be a mapping");
    c.discriminator = YAML::Clone(disc);
  }
  c.train.from_yaml(r.child("train"), "train");
  r.read("log_dir", c.log_dir);
  r.read("seed", c.seed);
  r.read("init_from", c.init_from);
  r.finish();
  return c;
}

YAML::Node TrainingConfig::to_yaml() const {
  YAML::Node n;
  n["data_dir"] = yaml_value(data_dir);
  n["log_dir"] = yaml_value(log_dir);
  n["seed"] = yaml_value(seed);
  n["init_from"] = yaml_value(init_from);
  n["dataset"] = dataset.to_yaml();
  n["model"] =
      model.IsDefined() && !model.IsNull() ? YAML::Clone(model) : YAML::Node(YAML::NodeType::Null);
  n["discriminator"] = discriminator.IsDefined() && !discriminator.IsNull()
                           ? YAML::Clone(discriminator)
                           : YAML::Node(YAML::NodeType::Map);
  n["train"] = train.to_yaml();
  return n;
}

void TrainingConfig::validate() const {
  if (data_dir.empty()) fail("", "data_dir", "must name the folder holding datasets.json");
  if (log_dir.empty()) fail("", "log_dir", "must name an output folder");
  if (seed < 0) fail("", "seed", "must be >= 0");
  if (!model.IsDefined() || !model.IsMap() || model.size() == 0)
    fail("", "model", "no model config; choose one with model=NAME (configs/model/NAME.yaml)");
  dataset.validate("dataset");
  models::discriminator_set_kind(discriminator).validate(discriminator, "discriminator");
  train.validate("train");
}

bool TrainingConfig::operator==(const TrainingConfig& o) const {
  const bool same_model = io::yaml_equal(model, o.model);
  return data_dir == o.data_dir && dataset == o.dataset && same_model &&
         io::yaml_equal(discriminator, o.discriminator) && train == o.train &&
         log_dir == o.log_dir && seed == o.seed && init_from == o.init_from;
}

TrainingConfig load_training_config(const std::vector<std::string>& overrides,
                                    const std::string& config_dir, ComposedConfig* composed) {
  const std::string dir = config_dir.empty() ? find_config_dir() : config_dir;
  ComposedConfig result = compose_config(dir, overrides);
  TrainingConfig config = TrainingConfig::from_yaml(result.tree);
  config.validate();
  if (composed) *composed = std::move(result);
  return config;
}

std::string resolved_config_yaml(const TrainingConfig& config, const std::string& header) {
  std::ostringstream out;
  if (!header.empty()) {
    std::istringstream lines(header);
    std::string line;
    while (std::getline(lines, line)) out << "# " << line << "\n";
  }
  out << io::emit_yaml(config.to_yaml());
  return out.str();
}

std::string save_resolved_config(const TrainingConfig& config, const std::string& header) {
  std::error_code ec;
  std::filesystem::create_directories(config.log_dir, ec);
  if (ec) throw IoError("cannot create log_dir " + config.log_dir + ": " + ec.message());
  const std::string path = (std::filesystem::path(config.log_dir) / "config.yaml").string();
  io::write_file_atomic(path, resolved_config_yaml(config, header));
  return path;
}

}  // namespace xcodec::train
