#include "xcodec/train/lr_schedule.h"

#include <torch/torch.h>

#include "xcodec/core/error.h"
#include "xcodec/core/logging.h"
#include "xcodec/io/yaml_fields.h"

namespace xcodec::train {

void WarmupLrConfig::validate(const std::string& path) const {
  auto fail = [&](const std::string& key, const std::string& why) {
    throw ConfigError("config key '" + io::join_key(path, key) + "': " + why);
  };
  if (warmup_step < 0) fail("warmup_step", "must be >= 0");
  if (down_step < 0) fail("down_step", "must be >= 0");
  if (!(max_lr > 0)) fail("max_lr", "must be > 0");
  if (min_lr < 0) fail("min_lr", "must be >= 0");
  if (init_lr < 0) fail("init_lr", "must be >= 0");
  if (warmup_shape != "quadratic" && warmup_shape != "linear")
    fail("warmup_shape",
         "must be quadratic (X-Codec-2.0's WarmupLR) or linear, got '" + warmup_shape + "'");
}

void WarmupLrConfig::from_yaml(const YAML::Node& node, const std::string& path) {
  io::YamlReader r(node, path);
  r.read("warmup_step", warmup_step);
  r.read("down_step", down_step);
  r.read("max_lr", max_lr);
  r.read("min_lr", min_lr);
  r.read("init_lr", init_lr);
  r.read("warmup_shape", warmup_shape);
  r.finish();
}

YAML::Node WarmupLrConfig::to_yaml() const {
  YAML::Node n;
  n["warmup_step"] = io::yaml_value(warmup_step);
  n["down_step"] = io::yaml_value(down_step);
  n["max_lr"] = io::yaml_value(max_lr);
  n["min_lr"] = io::yaml_value(min_lr);
  n["init_lr"] = io::yaml_value(init_lr);
  n["warmup_shape"] = io::yaml_value(warmup_shape);
  return n;
}

bool WarmupLrConfig::operator==(const WarmupLrConfig& o) const {
  return warmup_step == o.warmup_step && down_step == o.down_step && max_lr == o.max_lr &&
         min_lr == o.min_lr && init_lr == o.init_lr && warmup_shape == o.warmup_shape;
}

double warmup_lr(int64_t step, const WarmupLrConfig& c) {
  const int64_t s1 = c.warmup_step;
  const int64_t s2 = c.warmup_step + c.down_step;
  const double s = static_cast<double>(step);
  if (step < s1 && c.warmup_shape == "linear") {
    return c.init_lr + (c.max_lr - c.init_lr) * s / static_cast<double>(s1);
  }
  if (step < s1) {
    // Same operation order as the original: init + alpha * s^2, alpha = (max - init) / s1^2.
    const double alpha =
        (c.max_lr - c.init_lr) / (static_cast<double>(s1) * static_cast<double>(s1));
    return c.init_lr + alpha * s * s;
  }
  if (step < s2) {
    // The original's form of the line through (s1, max_lr) and (s2, min_lr).
    const double d1 = static_cast<double>(s1), d2 = static_cast<double>(s2);
    return (c.max_lr - c.min_lr) / (d1 - d2) * s + (c.min_lr * d1 - c.max_lr * d2) / (d1 - d2);
  }
  return c.min_lr;
}

void AdamWConfig::validate(const std::string& path) const {
  auto fail = [&](const std::string& key, const std::string& why) {
    throw ConfigError("config key '" + io::join_key(path, key) + "': " + why);
  };
  if (betas.size() != 2) fail("betas", "needs exactly 2 values");
  for (double b : betas)
    if (b < 0 || b >= 1) fail("betas", "each beta must be in [0, 1)");
  if (!(eps > 0)) fail("eps", "must be > 0");
  if (weight_decay < 0) fail("weight_decay", "must be >= 0");
}

void AdamWConfig::from_yaml(const YAML::Node& node, const std::string& path) {
  io::YamlReader r(node, path);
  r.read("betas", betas);
  r.read("eps", eps);
  r.read("weight_decay", weight_decay);
  r.finish();
}

YAML::Node AdamWConfig::to_yaml() const {
  YAML::Node n;
  n["betas"] = io::yaml_value(betas);
  n["eps"] = io::yaml_value(eps);
  n["weight_decay"] = io::yaml_value(weight_decay);
  return n;
}

bool AdamWConfig::operator==(const AdamWConfig& o) const {
  return betas == o.betas && eps == o.eps && weight_decay == o.weight_decay;
}

torch::optim::AdamWOptions AdamWConfig::options(double lr) const {
  validate();
  return torch::optim::AdamWOptions(lr)
      .betas(std::make_tuple(betas[0], betas[1]))
      .eps(eps)
      .weight_decay(weight_decay);
}

std::unique_ptr<torch::optim::AdamW> make_adamw(std::vector<torch::Tensor> params,
                                                const AdamWConfig& config,
                                                const WarmupLrConfig& schedule) {
  return std::make_unique<torch::optim::AdamW>(std::move(params),
                                               config.options(warmup_lr(0, schedule)));
}

WarmupLrScheduler::WarmupLrScheduler(torch::optim::Optimizer& optimizer, WarmupLrConfig config)
    : optimizer_(&optimizer), config_(std::move(config)) {
  config_.validate();
  apply();
}

void WarmupLrScheduler::apply() {
  const double lr = warmup_lr(step_, config_);
  for (auto& group : optimizer_->param_groups()) group.options().set_lr(lr);
}

void WarmupLrScheduler::step() {
  ++step_;
  apply();
}

void WarmupLrScheduler::set_steps_taken(int64_t step) {
  if (step < 0) throw CheckpointError("scheduler step must be >= 0, got " + std::to_string(step));
  step_ = step;
  apply();
}

YAML::Node WarmupLrScheduler::state_dict() const {
  YAML::Node n;
  n["step"] = static_cast<long long>(step_);
  n["config"] = config_.to_yaml();
  return n;
}

void WarmupLrScheduler::load_state_dict(const YAML::Node& state) {
  if (!state.IsMap() || !state["step"] || !state["step"].IsScalar())
    throw CheckpointError("scheduler state: expected a mapping with an integer 'step'");
  int64_t step = 0;
  try {
    step = state["step"].as<int64_t>();
  } catch (const YAML::Exception&) {
    throw CheckpointError("scheduler state: 'step' is not an integer: " + state["step"].Scalar());
  }
  if (state["config"]) {
    WarmupLrConfig saved;
    try {
      saved.from_yaml(state["config"], "scheduler");
    } catch (const Error& e) {
      throw CheckpointError(std::string("scheduler state: ") + e.what());
    }
    if (!(saved == config_))
      XCODEC_LOG_WARN(
          "[train] the checkpoint's lr schedule differs from the configured one; "
          "continuing with the configured schedule at step "
          << step);
  }
  set_steps_taken(step);
}

}  // namespace xcodec::train
