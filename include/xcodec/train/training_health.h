#pragma once
/// Training health: is the quantizer still transmitting anything? A codec whose encoder output
/// grows until the quantizer's bound saturates emits one code for every frame while the mel
/// loss still "falls" (the decoder learns an average sound). The trainer feeds every batch's
/// codes and quantizer input here and, every log interval, gets per-quantizer codebook usage,
/// perplexity, distinct codes per utterance, the share of saturated bounded inputs, and the
/// gradient norm that reached the encoder; a collapse that lasts `patience` intervals is an
/// alarm (and, with `stop_on_collapse`, the end of the run).
#include <torch/types.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

namespace xcodec::train {

/// `train.health`: when a run counts as collapsed (defaults mirror the YAML keys).
struct HealthConfig {
  /// Fewer distinct codes than this per utterance (mean over an interval) is collapse once the
  /// quantizer had more, or while its inputs are saturated or the encoder gets no gradient (a
  /// fresh model starts with one code: its small inputs all round to the centre).
  double min_codes_per_utterance = 2.0;
  /// Usage (distinct codes in an interval / codebook size) below this fraction of the best
  /// interval so far is collapse; 0 disables the relative test.
  double min_usage_fraction_of_best = 0.05;
  /// |tanh(z)| above this counts as saturated (the FSQ bound is flat there).
  double saturation_threshold = 0.99;
  /// A share of saturated inputs above this is collapse: the quantizer only emits its extreme
  /// levels and hardly any gradient passes the bound (measured: |z| in the thousands).
  double max_saturation = 0.95;
  /// Consecutive collapsed intervals before the alarm stops the run.
  int64_t patience = 3;
  /// Intervals at the start that are never judged (the first steps are noisy).
  int64_t grace_intervals = 1;

  void from_yaml(const YAML::Node& node, const std::string& path);
  YAML::Node to_yaml() const;
  void validate(const std::string& path) const;
  bool operator==(const HealthConfig& o) const;
};

/// One quantizer over one interval.
struct QuantizerHealth {
  int64_t distinct_codes = 0;      ///< distinct codes seen in the interval
  double usage = 0;                ///< distinct_codes / codebook size
  double perplexity = 0;           ///< exp(entropy) of the interval's code histogram
  double codes_per_utterance = 0;  ///< mean distinct codes per utterance
  double saturation = 0;           ///< share of bounded inputs with |tanh(z)| > threshold
  double input_abs_mean = 0;       ///< mean |z| of the quantizer input
};

/// One interval's report.
struct HealthReport {
  std::vector<QuantizerHealth> quantizers;
  double encoder_grad_norm = 0;     ///< mean over the interval's generator steps
  bool encoder_grad_zero = false;   ///< every step's encoder gradient was exactly zero
  bool collapsed = false;           ///< this interval looks collapsed (see HealthConfig)
  int64_t collapsed_intervals = 0;  ///< consecutive collapsed intervals up to this one
  bool alarm = false;               ///< collapsed for `patience` intervals: stop or warn loudly
  std::string diagnosis;            ///< what is wrong and the likely causes, when collapsed
  int64_t utterances = 0;
};

class TrainingHealth {
 public:
  TrainingHealth(HealthConfig config, int64_t codebook_size);

  /// One batch: codes [B, Q, T] (integers) and the quantizer input z [B, T, d] (what the bound
  /// squashes; undefined when the quantizer has none). Detached values only.
  void observe_batch(const torch::Tensor& codes, const torch::Tensor& quantizer_input);
  /// The L2 norm of the encoder's gradient after one generator backward pass (before clipping).
  void observe_encoder_grad_norm(double norm);
  /// The interval's figures, judged against the earlier ones; starts a new interval.
  HealthReport report();

  const HealthConfig& config() const { return config_; }

 private:
  struct Accumulator {
    torch::Tensor histogram;  // [codebook] int64
    double codes_per_utterance_sum = 0;
    double saturated = 0;
    double abs_sum = 0;
    double input_values = 0;
  };
  bool max_saturation_exceeded(const QuantizerHealth& s) const;

  HealthConfig config_;
  int64_t codebook_size_;
  std::vector<Accumulator> acc_;
  int64_t utterances_ = 0;
  double grad_sum_ = 0;
  int64_t grad_steps_ = 0;
  bool grad_all_zero_ = true;
  int64_t intervals_ = 0;
  int64_t collapsed_run_ = 0;
  double best_usage_ = 0;
  std::vector<double> best_codes_per_utterance_;  // per quantizer, over the intervals so far
};

/// Codes [B, Q, T] → per-quantizer usage, perplexity and distinct codes per utterance over the
/// whole tensor (what `xcodec eval` and the validation report).
std::vector<QuantizerHealth> code_statistics(const torch::Tensor& codes, int64_t codebook_size);

}  // namespace xcodec::train
