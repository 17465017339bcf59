#pragma once
/// Learning-rate schedule and optimiser settings of the X-Codec-2.0 recipe
/// (`common/schedulers.py` WarmupLR; spec §11.5). With s the number of scheduler steps already
/// taken (0 for the first optimiser step), s1 = warmup_step and s2 = warmup_step + down_step:
///   lr(s) = init_lr + (max_lr − init_lr)·(s/s1)²            s < s1   (quadratic warm-up)
///   lr(s) = max_lr + (min_lr − max_lr)·(s − s1)/(s2 − s1)   s1 ≤ s < s2 (linear decay)
///   lr(s) = min_lr                                          s ≥ s2
/// With warmup_shape "linear" the warm-up is init_lr + (max_lr − init_lr)·s/s1 instead.
/// The original is a LambdaLR on a base lr of 1.0, so the λ value is the absolute lr.
#include <torch/optim/adamw.h>
#include <torch/types.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace xcodec::train {

/// WarmupLR parameters (YAML keys = field names; original `gen_schedule_params`).
struct WarmupLrConfig {
  int64_t warmup_step = 3000;  ///< length of the quadratic warm-up, scheduler steps
  int64_t down_step = 400000;  ///< length of the linear decay after the warm-up, steps
  double max_lr = 1e-4;        ///< lr at the end of the warm-up
  double min_lr = 2e-5;        ///< final lr, kept after warmup_step + down_step
  double init_lr = 1e-5;       ///< lr at step 0 (hard-coded 1e-5 in the original)
  /// "quadratic" (X-Codec-2.0's WarmupLR) or "linear": init + (max − init)·s/s1 (DwanCodec's
  /// AnnealingLR with init_lr 0; its decay is this schedule's line with min_lr 0).
  std::string warmup_shape = "quadratic";

  void validate(const std::string& path = "scheduler") const;
  void from_yaml(const YAML::Node& node, const std::string& path = "scheduler");
  YAML::Node to_yaml() const;
  bool operator==(const WarmupLrConfig& o) const;
};

/// The learning rate for scheduler step `step` (0-based), a pure function of the config.
double warmup_lr(int64_t step, const WarmupLrConfig& config);

/// AdamW settings (original: base lr 1.0 under LambdaLR, betas (0.8, 0.9), PyTorch defaults
/// eps 1e-8 and weight_decay 0.01 on every parameter; spec G16).
struct AdamWConfig {
  std::vector<double> betas{0.8, 0.9};  ///< (beta1, beta2)
  double eps = 1e-8;                    ///< denominator epsilon
  double weight_decay = 0.01;           ///< decoupled weight decay, applied to all parameters

  void validate(const std::string& path = "optimizer") const;
  void from_yaml(const YAML::Node& node, const std::string& path = "optimizer");
  YAML::Node to_yaml() const;
  bool operator==(const AdamWConfig& o) const;
  /// torch::optim::AdamWOptions with these settings and learning rate `lr`.
  torch::optim::AdamWOptions options(double lr) const;
};

/// Builds an AdamW over `params` whose lr starts at warmup_lr(0, schedule).
std::unique_ptr<torch::optim::AdamW> make_adamw(std::vector<torch::Tensor> params,
                                                const AdamWConfig& config,
                                                const WarmupLrConfig& schedule);

/// The schedule with its one piece of state (steps taken), for one optimiser. Usage per
/// iteration: optimizer.step(); scheduler.step(); — the optimiser always holds lr(step()).
class WarmupLrScheduler {
 public:
  /// Sets every param group of `optimizer` to lr(0). The optimiser must outlive the scheduler.
  WarmupLrScheduler(torch::optim::Optimizer& optimizer, WarmupLrConfig config);

  /// Advances one step and writes the new lr into the optimiser.
  void step();
  /// Steps taken so far (= index of the next optimiser step).
  int64_t steps_taken() const { return step_; }
  /// The lr the optimiser holds now.
  double current_lr() const { return warmup_lr(step_, config_); }
  const WarmupLrConfig& config() const { return config_; }

  /// Checkpoint state: {"step": N} plus the config for a consistency check.
  YAML::Node state_dict() const;
  /// Restores the step (and re-applies the lr). Throws CheckpointError if the state is malformed.
  void load_state_dict(const YAML::Node& state);
  /// Jumps to `step` scheduler steps (e.g. when resuming) and applies its lr.
  void set_steps_taken(int64_t step);

 private:
  void apply();
  torch::optim::Optimizer* optimizer_;
  WarmupLrConfig config_;
  int64_t step_ = 0;
};

}  // namespace xcodec::train
