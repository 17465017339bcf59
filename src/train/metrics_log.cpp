#include "train/metrics_log.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "xcodec/audio/audio.h"
#include "xcodec/core/error.h"

namespace xcodec::train {
namespace {

namespace fs = std::filesystem;

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const int64_t t = static_cast<int64_t>(s + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%lld:%02lld:%02lld", static_cast<long long>(t / 3600),
                static_cast<long long>((t / 60) % 60), static_cast<long long>(t % 60));
  return buf;
}

}  // namespace

MetricsLog::MetricsLog(const std::string& log_dir) : log_dir_(log_dir) {
  tb_ = std::make_unique<io::TensorBoardWriter>(log_dir);
  const std::string path = (fs::path(log_dir) / "metrics.jsonl").string();
  jsonl_.open(path, std::ios::app);
  if (!jsonl_) throw IoError("cannot write " + path);
}

void MetricsLog::log_step(int64_t step, const std::map<std::string, double>& values,
                          double steps_per_s, double data_wait_share) {
  nlohmann::json j;
  j["step"] = step;
  j["time"] =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  for (const auto& [k, v] : values) {
    j[k] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
    const bool is_lr = k.rfind("lr_", 0) == 0;
    const bool has_group = k.find('/') != std::string::npos;  // health/..., quantizer/...
    tb_->add_scalar(has_group ? k : (is_lr ? "lr/" : "train/") + k, v, step);
  }
  j["steps_per_s"] = steps_per_s;
  j["data_wait_share"] = data_wait_share;
  tb_->add_scalar("perf/steps_per_s", steps_per_s, step);
  jsonl_ << j.dump() << "\n";
  jsonl_.flush();
}

void MetricsLog::log_validation(int64_t step, const ValidationResult& v, int sample_rate) {
  const fs::path example_dir = fs::path(log_dir_) / "val" / ("step=" + std::to_string(step));
  for (size_t i = 0; i < v.examples.size(); ++i) {
    fs::create_directories(example_dir);
    audio::Audio a;
    a.sample_rate = sample_rate;
    a.samples = v.examples[i];
    audio::write_audio((example_dir / ("example_" + std::to_string(i) + ".wav")).string(), a);
    tb_->add_audio("val/example_" + std::to_string(i), a.samples, a.sample_rate, step);
  }
  nlohmann::json j;
  j["step"] = step;
  j["val/mel_loss"] = v.mel_loss;
  j["val/codebook_usage"] = v.usage.usage;
  j["val/perplexity"] = v.usage.perplexity;
  j["val/codes_per_utt"] = v.codes_per_utt;
  j["val/items"] = v.items;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() != "step" && it.key() != "val/items")
      tb_->add_scalar(it.key(), it.value().get<double>(), step);
  }
  jsonl_ << j.dump() << "\n";
  jsonl_.flush();
}

void MetricsLog::flush() { tb_->flush(); }

void add_health_values(const HealthReport& h, std::map<std::string, double>& values) {
  for (size_t q = 0; q < h.quantizers.size(); ++q) {
    const QuantizerHealth& s = h.quantizers[q];
    const std::string p = "health/q" + std::to_string(q) + "_";
    values[p + "usage"] = s.usage;
    values[p + "perplexity"] = s.perplexity;
    values[p + "codes_per_utt"] = s.codes_per_utterance;
    values[p + "saturation"] = s.saturation;
    values[p + "input_abs_mean"] = s.input_abs_mean;
  }
  values["health/encoder_grad_norm"] = h.encoder_grad_norm;
}

std::string progress_line(int64_t step, int64_t max_steps,
                          const std::map<std::string, double>& values, const HealthReport& health,
                          double steps_per_s, double data_wait_share) {
  std::ostringstream line;
  line << "[train] step " << step << "/" << max_steps << std::fixed << std::setprecision(4);
  for (const char* k : {"loss_g", "mel", "loss_d"}) {
    if (values.count(k)) line << " " << k << " " << values.at(k);
  }
  if (!health.quantizers.empty()) {
    const QuantizerHealth& q = health.quantizers[0];
    line << std::setprecision(1) << " | codes/utt " << q.codes_per_utterance << " usage "
         << std::setprecision(2) << 100.0 * q.usage << "% sat " << std::setprecision(0)
         << 100.0 * q.saturation << "%";
  }
  line << std::setprecision(2) << " | " << steps_per_s << " steps/s | data wait "
       << std::setprecision(0) << 100.0 * data_wait_share << "% | ETA "
       << format_duration(static_cast<double>(max_steps - step) / std::max(1e-9, steps_per_s));
  return line.str();
}

}  // namespace xcodec::train
