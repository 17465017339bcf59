#include "xcodec/train/training_health.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "xcodec/core/error.h"
#include "xcodec/eval/metrics/codec_stats.h"
#include "xcodec/io/yaml_fields.h"

namespace xcodec::train {

namespace {

eval::CodeUsage usage_of(const torch::Tensor& histogram) {
  const torch::Tensor h = histogram.to(torch::kLong).contiguous();
  return eval::code_usage(
      std::vector<int64_t>(h.data_ptr<int64_t>(), h.data_ptr<int64_t>() + h.numel()));
}

// Mean number of distinct codes per utterance of quantizer q: codes [B, T].
double distinct_per_row(const torch::Tensor& codes) {
  const torch::Tensor sorted = std::get<0>(codes.sort(/*dim=*/1));
  // Distinct values in a sorted row = 1 + number of changes between neighbours.
  const torch::Tensor changes = sorted.size(1) > 1
                                    ? sorted.slice(1, 1).ne(sorted.slice(1, 0, -1)).sum(1)
                                    : torch::zeros({sorted.size(0)}, torch::kLong);
  return (changes.to(torch::kDouble) + 1.0).mean().item<double>();
}

torch::Tensor histogram_of(const torch::Tensor& codes, int64_t codebook_size) {
  const torch::Tensor flat = codes.reshape({-1}).to(torch::kLong);
  if (flat.numel() > 0 &&
      (flat.min().item<int64_t>() < 0 || flat.max().item<int64_t>() >= codebook_size)) {
    throw Error("training health: a code lies outside the codebook of " +
                std::to_string(codebook_size));
  }
  return torch::bincount(flat, {}, codebook_size);
}

}  // namespace

void HealthConfig::from_yaml(const YAML::Node& node, const std::string& path) {
  io::YamlReader r(node, path);
  r.read("min_codes_per_utterance", min_codes_per_utterance);
  r.read("min_usage_fraction_of_best", min_usage_fraction_of_best);
  r.read("saturation_threshold", saturation_threshold);
  r.read("max_saturation", max_saturation);
  r.read("patience", patience);
  r.read("grace_intervals", grace_intervals);
  r.finish();
}

YAML::Node HealthConfig::to_yaml() const {
  YAML::Node n;
  n["min_codes_per_utterance"] = io::yaml_value(min_codes_per_utterance);
  n["min_usage_fraction_of_best"] = io::yaml_value(min_usage_fraction_of_best);
  n["saturation_threshold"] = io::yaml_value(saturation_threshold);
  n["max_saturation"] = io::yaml_value(max_saturation);
  n["patience"] = io::yaml_value(patience);
  n["grace_intervals"] = io::yaml_value(grace_intervals);
  return n;
}

void HealthConfig::validate(const std::string& path) const {
  auto fail = [&path](const char* key, const std::string& why) {
    throw ConfigError("config key '" + io::join_key(path, key) + "': " + why);
  };
  if (!(min_codes_per_utterance >= 0)) fail("min_codes_per_utterance", "must be >= 0");
  if (!(min_usage_fraction_of_best >= 0 && min_usage_fraction_of_best < 1))
    fail("min_usage_fraction_of_best", "must be in [0, 1) (0 disables the test)");
  if (!(saturation_threshold > 0 && saturation_threshold < 1))
    fail("saturation_threshold", "must be in (0, 1)");
  if (!(max_saturation > 0 && max_saturation <= 1))
    fail("max_saturation", "must be in (0, 1] (1 disables the test)");
  if (patience < 1) fail("patience", "must be >= 1");
  if (grace_intervals < 0) fail("grace_intervals", "must be >= 0");
}

bool HealthConfig::operator==(const HealthConfig& o) const {
  return min_codes_per_utterance == o.min_codes_per_utterance &&
         min_usage_fraction_of_best == o.min_usage_fraction_of_best &&
         saturation_threshold == o.saturation_threshold && max_saturation == o.max_saturation &&
         patience == o.patience && grace_intervals == o.grace_intervals;
}

std::vector<QuantizerHealth> code_statistics(const torch::Tensor& codes, int64_t codebook_size) {
  if (codes.dim() != 3) throw ShapeError("code_statistics: codes must be [B, Q, T]");
  const torch::Tensor c = codes.detach().to(torch::kCPU, torch::kLong);
  std::vector<QuantizerHealth> out;
  for (int64_t q = 0; q < c.size(1); ++q) {
    const torch::Tensor row = c.select(1, q);
    const torch::Tensor h = histogram_of(row, codebook_size);
    const eval::CodeUsage u = usage_of(h);
    QuantizerHealth s;
    s.distinct_codes = u.distinct;
    s.usage = u.usage;
    s.perplexity = u.perplexity;
    s.codes_per_utterance = row.size(1) > 0 ? distinct_per_row(row) : 0.0;
    out.push_back(s);
  }
  return out;
}

TrainingHealth::TrainingHealth(HealthConfig config, int64_t codebook_size)
    : config_(config), codebook_size_(codebook_size) {
  if (codebook_size_ < 1) throw ConfigError("training health: codebook size must be >= 1");
}

void TrainingHealth::observe_batch(const torch::Tensor& codes,
                                   const torch::Tensor& quantizer_input) {
  torch::NoGradGuard no_grad;
  if (codes.dim() != 3) throw ShapeError("training health: codes must be [B, Q, T]");
  const torch::Tensor c = codes.detach().to(torch::kCPU, torch::kLong);
  if (acc_.empty()) acc_.resize(static_cast<size_t>(c.size(1)));
  if (static_cast<int64_t>(acc_.size()) != c.size(1)) {
    throw ShapeError("training health: the number of quantizers changed between batches");
  }
  double saturated = 0, abs_sum = 0, values = 0;
  if (quantizer_input.defined() && quantizer_input.numel() > 0) {
    const torch::Tensor z = quantizer_input.detach().to(torch::kCPU, torch::kFloat);
    saturated = z.tanh().abs().gt(config_.saturation_threshold).sum().item<double>();
    abs_sum = z.abs().sum().item<double>();
    values = static_cast<double>(z.numel());
  }
  for (int64_t q = 0; q < c.size(1); ++q) {
    Accumulator& a = acc_[static_cast<size_t>(q)];
    const torch::Tensor row = c.select(1, q);
    const torch::Tensor h = histogram_of(row, codebook_size_);
    a.histogram = a.histogram.defined() ? a.histogram + h : h;
    if (row.size(1) > 0) a.codes_per_utterance_sum += distinct_per_row(row) * row.size(0);
    // The residual quantizers share one bounded input (project_in's output).
    a.saturated += saturated;
    a.abs_sum += abs_sum;
    a.input_values += values;
  }
  utterances_ += c.size(0);
}

void TrainingHealth::observe_encoder_grad_norm(double norm) {
  grad_sum_ += norm;
  ++grad_steps_;
  if (norm != 0.0) grad_all_zero_ = false;
}

bool TrainingHealth::max_saturation_exceeded(const QuantizerHealth& s) const {
  return config_.max_saturation < 1 && s.saturation > config_.max_saturation;
}

HealthReport TrainingHealth::report() {
  HealthReport r;
  r.utterances = utterances_;
  for (const Accumulator& a : acc_) {
    QuantizerHealth s;
    if (a.histogram.defined()) {
      const eval::CodeUsage u = usage_of(a.histogram);
      s.distinct_codes = u.distinct;
      s.perplexity = u.perplexity;
    }
    s.usage = static_cast<double>(s.distinct_codes) / static_cast<double>(codebook_size_);
    s.codes_per_utterance =
        utterances_ > 0 ? a.codes_per_utterance_sum / static_cast<double>(utterances_) : 0.0;
    s.saturation = a.input_values > 0 ? a.saturated / a.input_values : 0.0;
    s.input_abs_mean = a.input_values > 0 ? a.abs_sum / a.input_values : 0.0;
    r.quantizers.push_back(s);
  }
  r.encoder_grad_norm = grad_steps_ > 0 ? grad_sum_ / static_cast<double>(grad_steps_) : 0.0;
  r.encoder_grad_zero = grad_steps_ > 0 && grad_all_zero_;

  std::ostringstream why;
  if (utterances_ > 0 && intervals_ >= config_.grace_intervals) {
    for (size_t q = 0; q < r.quantizers.size(); ++q) {
      const QuantizerHealth& s = r.quantizers[q];
      // Few codes with small, unsaturated inputs is where every model starts (FSQ rounds
      // |z| ~ 0.05 to one code): collapse only once the quantizer was alive or saturates.
      const bool was_alive = q < best_codes_per_utterance_.size() &&
                             best_codes_per_utterance_[q] >= config_.min_codes_per_utterance;
      const bool saturated = s.saturation >= 0.5;
      if (s.codes_per_utterance < config_.min_codes_per_utterance &&
          (was_alive || saturated || r.encoder_grad_zero)) {
        why << "quantizer " << q << " emits " << s.codes_per_utterance
            << " distinct codes per utterance (< " << config_.min_codes_per_utterance << "); ";
      } else if (max_saturation_exceeded(s)) {
        why << "quantizer " << q << " has " << 100.0 * s.saturation
            << " % of its inputs saturated (mean |z| " << s.input_abs_mean
            << "): only its extreme levels are used; ";
      } else if (config_.min_usage_fraction_of_best > 0 && best_usage_ > 0 &&
                 s.usage < config_.min_usage_fraction_of_best * best_usage_) {
        why << "quantizer " << q << " uses " << s.distinct_codes << " codes, under "
            << 100.0 * config_.min_usage_fraction_of_best << " % of its best interval; ";
      }
    }
    if (r.encoder_grad_zero) why << "the encoder's gradient is exactly zero; ";
  }
  best_codes_per_utterance_.resize(r.quantizers.size(), 0.0);
  for (size_t q = 0; q < r.quantizers.size(); ++q) {
    best_usage_ = std::max(best_usage_, r.quantizers[q].usage);
    best_codes_per_utterance_[q] =
        std::max(best_codes_per_utterance_[q], r.quantizers[q].codes_per_utterance);
  }
  const std::string problems = why.str();
  r.collapsed = !problems.empty();
  collapsed_run_ = r.collapsed ? collapsed_run_ + 1 : 0;
  r.collapsed_intervals = collapsed_run_;
  r.alarm = collapsed_run_ >= config_.patience;
  if (r.collapsed) {
    double saturation = 0;
    for (const QuantizerHealth& s : r.quantizers) saturation = std::max(saturation, s.saturation);
    std::ostringstream d;
    d << "codebook collapse: " << problems.substr(0, problems.size() - 2) << ". ";
    if (saturation > 0.5 && problems.find("saturated") == std::string::npos) {
      d << 100.0 * saturation
        << " % of the quantizer's inputs are saturated (the bound is flat there, so no gradient "
           "reaches the encoder). ";
    }
    d << "Likely causes: a learning rate too high for this model (lower "
         "train.gen_scheduler.max_lr), too short a warm-up (train.gen_scheduler.warmup_step), or a "
         "quantizer input without a norm; "
         "see docs/training.md (Training health).";
    r.diagnosis = d.str();
  }

  acc_.assign(acc_.size(), Accumulator{});
  utterances_ = 0;
  grad_sum_ = 0;
  grad_steps_ = 0;
  grad_all_zero_ = true;
  ++intervals_;
  return r;
}

}  // namespace xcodec::train
