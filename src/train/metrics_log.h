#pragma once
// Where a training run reports (private to src/train): metrics.jsonl (one JSON object per log
// interval or validation), TensorBoard scalars and audio, validation examples as WAV files,
// and the one-line progress report.
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "train/validation.h"
#include "xcodec/io/tensorboard_writer.h"
#include "xcodec/train/training_health.h"

namespace xcodec::train {

class MetricsLog {
 public:
  /// Opens log_dir/metrics.jsonl (appending: a resumed run continues it) and a TensorBoard
  /// event file. Throws IoError when log_dir is not writable.
  explicit MetricsLog(const std::string& log_dir);

  /// One log interval: every value (losses, lr, health/...) plus throughput.
  void log_step(int64_t step, const std::map<std::string, double>& values, double steps_per_s,
                double data_wait_share);
  /// A validation pass: figures, and the examples under log_dir/val/step=N/example_K.wav.
  void log_validation(int64_t step, const ValidationResult& v, int sample_rate);
  void flush();

 private:
  std::string log_dir_;
  std::unique_ptr<io::TensorBoardWriter> tb_;
  std::ofstream jsonl_;
};

/// health/q<q>_{usage,perplexity,codes_per_utt,saturation,input_abs_mean} and
/// health/encoder_grad_norm.
void add_health_values(const HealthReport& health, std::map<std::string, double>& values);

/// "[train] step 10/40 loss_g ... | codes/utt ... | 1.2 steps/s | data wait 0% | ETA 0:00:25".
std::string progress_line(int64_t step, int64_t max_steps,
                          const std::map<std::string, double>& values, const HealthReport& health,
                          double steps_per_s, double data_wait_share);

}  // namespace xcodec::train
