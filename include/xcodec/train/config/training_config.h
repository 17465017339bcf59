#pragma once
/// The training configuration: plain structs mirroring the composed YAML tree
/// (configs/config.yaml + configs/{dataset,model,discriminator,train}/*.yaml, see compose.h).
/// Field names are the YAML keys; in-class defaults are the X-Codec-2.0 recipe. Every struct has
/// from_yaml (strict: unknown keys and wrongly typed values are ConfigErrors naming the dotted
/// key), to_yaml, and validate. The `model` subtree stays an opaque YAML node: the codec's own
/// config parses it.
///
/// Step units: one training step (iteration) = one discriminator update + one generator update.
/// (Lightning's global_step counted both, so the original's "3,000,000 steps" are 1,500,000 here.)
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "xcodec/losses/mel_loss.h"
#include "xcodec/losses/stft_loss.h"
#include "xcodec/train/lr_schedule.h"
#include "xcodec/train/training_health.h"

namespace xcodec::train {

/// Per-split loader settings (`dataset.train`, `dataset.val`).
struct DatasetSplitConfig {
  int64_t batch_size = 8;  ///< crops per batch (per device)
  bool shuffle = true;     ///< shuffle each epoch, seeded by (seed, epoch, rank)

  void from_yaml(const YAML::Node& node, const std::string& path);
  YAML::Node to_yaml() const;
  void validate(const std::string& path) const;
  bool operator==(const DatasetSplitConfig& o) const {
    return batch_size == o.batch_size && shuffle == o.shuffle;
  }
};

/// `dataset` group: which registered datasets to train on and how to cut them.
struct DatasetConfig {
  std::vector<std::string>
      names;                    ///< registered dataset names (datasets.json in data_dir); required
  std::vector<double> weights;  ///< per-dataset sampling weights, same order; empty = uniform
  int64_t sample_rate = 16000;  ///< Hz; audio is resampled to this
  int64_t min_audio_length = 96000;   ///< crop length, samples (6 s); shorter files are zero-padded
  int64_t num_workers = 4;            ///< loader threads
  int64_t prefetch_batches = 4;       ///< bounded queue length, batches
  DatasetSplitConfig train{8, true};  ///< training split
  DatasetSplitConfig val{8, false};   ///< validation split

  void from_yaml(const YAML::Node& node, const std::string& path = "dataset");
  YAML::Node to_yaml() const;
  void validate(const std::string& path = "dataset") const;
  bool operator==(const DatasetConfig& o) const;
};

/// Numeric precision of the training step.
enum class Precision {
  kFloat32,        ///< "32": full float32 (CPU default)
  kBFloat16Mixed,  ///< "bf16-mixed": bfloat16 autocast (CUDA)
  kFloat16Mixed,   ///< "16-mixed": float16 autocast + gradient scaling (CUDA; the original's)
};

/// `train.trainer`: run length and hardware.
struct TrainerConfig {
  int64_t max_steps = 1500000;          ///< training steps (iterations) to run
  int64_t accumulate_grad_batches = 1;  ///< batches per optimiser step
  int64_t devices = 1;                  ///< number of devices (processes) to train on
  std::string accelerator = "auto";     ///< "auto" (CUDA if available), "cpu" or "cuda"
  std::string precision = "32";         ///< "32", "bf16-mixed" or "16-mixed"
  int64_t limit_val_batches = 2560;     ///< validation batches per run; 0 = the whole split
  int64_t log_every = 50;               ///< steps between metric log lines
  /// Clip gradients while they are still multiplied by the fp16 loss scale (16-mixed only), as
  /// the original did (Lightning clipped before unscaling); false unscales first.
  bool clip_scaled_gradients = false;
  /// Data-parallel: seconds a collective (or store operation) waits for the other ranks before
  /// the run stops naming the missing rank. Rank 0's validation and checkpoints do not count.
  double dist_timeout_s = 60.0;

  Precision precision_kind() const;  ///< parsed `precision` (validate() first)
  void from_yaml(const YAML::Node& node, const std::string& path);
  YAML::Node to_yaml() const;
  void validate(const std::string& path) const;
  bool operator==(const TrainerConfig& o) const;
};

/// `train.lambdas`: the weight of each generator loss term by name (loss_terms.h); 0 switches a
/// term off. Unknown names are ConfigErrors listing the known ones.
struct LossWeights {
  std::map<std::string, double> weights{{"mel", 15.0},     {"adv", 1.0},  {"feat", 1.0},
                                        {"semantic", 5.0}, {"stft", 1.0}, {"l1", 0.0},
                                        {"codebook", 1.0}, {"disc", 1.0}};
  /// The weight of `term` (0 for a term not listed).
  double at(const std::string& term) const;
  void set(const std::string& term, double weight) { weights[term] = weight; }

  void from_yaml(const YAML::Node& node, const std::string& path);
  YAML::Node to_yaml() const;
  void validate(const std::string& path) const;
  bool operator==(const LossWeights& o) const { return weights == o.weights; }
};

/// `train` group.
struct TrainConfig {
  TrainerConfig trainer;
  int64_t checkpoint_every = 20000;  ///< steps between log_dir/step=N.ckpt; 0 = only last.ckpt
  int64_t val_every = 4000;          ///< steps between validations; 0 = never
  int64_t val_examples = 4;          ///< reconstructed audio examples written per validation
  int64_t max_nonfinite_steps = 5;   ///< consecutive NaN/Inf losses (skipped) before stopping
  /// Stop (with last.ckpt written) when the codebook collapses for `health.patience` log
  /// intervals; false = warn loudly and go on.
  bool stop_on_collapse = true;
  HealthConfig health;  ///< what counts as collapse (training_health.h)
  LossWeights lambdas;
  // The original's switches (kept): a term whose switch is off has weight 0.
  bool use_mel_loss = true;       ///< λ_mel · L_mel
  bool use_adv_loss = true;       ///< λ_adv · L_adv (the discriminators still train when off)
  bool use_feat_loss = true;      ///< λ_feat · (L_fm(MPD) + L_fm(spec))
  bool use_semantic_loss = true;  ///< λ_semantic · L_sem (needs the semantic branch)
  bool use_stft_loss = false;     ///< λ_stft · L_stft
  /// The weight a term gets: lambdas.at(term), or 0 when its use_*_loss switch is off.
  double weight(const std::string& term) const;
  losses::MultiResolutionMelLossOptions mel_loss;    ///< mel loss resolutions
  losses::MultiResolutionStftLossOptions stft_loss;  ///< STFT loss resolutions
  AdamWConfig gen_optimizer;                         ///< generator AdamW
  AdamWConfig disc_optimizer;                        ///< discriminator AdamW
  WarmupLrConfig gen_scheduler;                      ///< generator lr schedule
  WarmupLrConfig disc_scheduler;                     ///< discriminator lr schedule
  double gen_grad_clip = 1.0;   ///< max total L2 norm of generator gradients; 0 = no clipping
  double disc_grad_clip = 1.0;  ///< same for the discriminators

  void from_yaml(const YAML::Node& node, const std::string& path = "train");
  YAML::Node to_yaml() const;
  void validate(const std::string& path = "train") const;
  bool operator==(const TrainConfig& o) const;
};

/// The whole resolved configuration of `xcodec train`.
struct TrainingConfig {
  std::string data_dir = "./data";  ///< folder holding datasets.json (the data registry)
  DatasetConfig dataset;            ///< `dataset` group
  YAML::Node model;                 ///< `model` group, opaque; parsed by the codec's config
  /// `discriminator` group, opaque: its `name:` key (default xcodec2) picks the kind
  /// (models/discriminators/discriminator_set.h), which validates the rest.
  YAML::Node discriminator;
  TrainConfig train;               ///< `train` group
  std::string log_dir = "./logs";  ///< checkpoints, TensorBoard events, metrics.jsonl, config.yaml
  int64_t seed = 1024;             ///< global seed (model init, shuffling, crops)
  std::string init_from;           ///< generator weights to start from ("" = random init)

  /// Parses a composed tree (see compose_config); strict about unknown keys and types.
  static TrainingConfig from_yaml(const YAML::Node& root);
  YAML::Node to_yaml() const;
  void validate() const;
  bool operator==(const TrainingConfig& o) const;
};

struct ComposedConfig;

/// compose_config(config_dir or find_config_dir(), overrides) → from_yaml → validate.
/// `composed`, when given, receives the composed tree and the group choices (for logging).
TrainingConfig load_training_config(const std::vector<std::string>& overrides = {},
                                    const std::string& config_dir = "",
                                    ComposedConfig* composed = nullptr);

/// The resolved config as YAML text, with a comment header (e.g. the command line).
std::string resolved_config_yaml(const TrainingConfig& config, const std::string& header = "");

/// Writes `log_dir/config.yaml` (atomically, creating log_dir); returns its path.
std::string save_resolved_config(const TrainingConfig& config, const std::string& header = "");

}  // namespace xcodec::train
