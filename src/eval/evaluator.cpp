#include "xcodec/eval/evaluator.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "xcodec/audio/audio.h"
#include "xcodec/audio/audio_extensions.h"
#include "xcodec/audio/resample.h"
#include "xcodec/core/error.h"
#include "xcodec/core/logging.h"
#include "xcodec/data/registry/registry.h"
#include "xcodec/data/registry/split_tsv.h"
#include "xcodec/eval/metrics/codec_stats.h"
#include "xcodec/eval/metrics/signal_metrics.h"
#include "xcodec/eval/metrics/spectrogram_image.h"
#include "xcodec/infer/default_model.h"
#include "xcodec/io/atomic_file.h"
#include "xcodec/xcodec.h"

namespace xcodec::eval {
namespace fs = std::filesystem;

namespace {

nlohmann::json number(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

std::vector<std::pair<std::string, std::string>> list_files(
    const EvalOptions& o) {  // (path, label)
  std::vector<std::pair<std::string, std::string>> files;
  if (!o.dataset.empty()) {
    std::string name = o.dataset;
    std::string split = "test";
    if (auto colon = name.find(':'); colon != std::string::npos) {
      split = name.substr(colon + 1);
      name = name.substr(0, colon);
    }
    const auto registry = data::DatasetRegistry::load(o.data_dir);
    const auto entries = data::read_split_tsv(registry.split_path(name, data::parse_split(split)));
    for (const auto& e : entries) {
      files.emplace_back((fs::path(registry.audio_dir(name)) / e.relative_path).string(),
                         name + ":" + split + "/" + e.relative_path);
    }
  } else {
    std::error_code ec;
    if (!fs::is_directory(o.dir, ec)) throw IoError("eval: '" + o.dir + "' is not a folder");
    for (auto it = fs::recursive_directory_iterator(
             o.dir, fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (!it->is_regular_file(ec)) continue;
      if (!audio::has_audio_extension(it->path().filename().string())) continue;
      files.emplace_back(it->path().string(), fs::relative(it->path(), o.dir).string());
    }
    std::sort(files.begin(), files.end());
  }
  if (o.max_files > 0 && static_cast<int64_t>(files.size()) > o.max_files)
    files.resize(static_cast<size_t>(o.max_files));
  if (files.empty()) throw IoError("eval: no audio files to evaluate");
  return files;
}

}  // namespace

nlohmann::json run_evaluation(const EvalOptions& o) {
  if (o.dataset.empty() == o.dir.empty())
    throw ConfigError("eval: give exactly one of --dataset or --dir");
  CodecOptions co;
  co.device = o.device;
  co.teacher = o.teacher;
  const auto codec = Codec::load(o.model, co);
  XCODEC_LOG_INFO("[model] " << infer::describe_model(*codec, o.model));
  const int rate = codec->sample_rate();
  const auto files = list_files(o);
  CodeHistogram histogram(static_cast<int>(codec->num_quantizers()), codec->codebook_size());
  SignalMetricsSummary summary;
  double audio_seconds = 0;
  double compute_seconds = 0;
  double distinct_sum = 0;  // distinct codes per file, summed
  nlohmann::json per_file = nlohmann::json::array();
  nlohmann::json failed = nlohmann::json::array();
  const fs::path png_dir = o.output.empty()
                               ? fs::path()
                               : fs::path(o.output).parent_path() /
                                     (fs::path(o.output).stem().string() + "_spectrograms");
  int64_t pngs = 0;
  for (const auto& [path, label] : files) {
    try {
      const audio::Audio a = audio::read_audio(path, rate);
      const auto t0 = std::chrono::steady_clock::now();
      const Codes codes = codec->encode(a.samples, rate);
      std::vector<float> y = codec->decode(codes);
      const double took =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      y.resize(a.samples.size());  // the model's padding is not part of the signal
      const torch::Tensor code_tensor =
          torch::from_blob(const_cast<int32_t*>(codes.data.data()),
                           {codes.num_quantizers, codes.frames}, torch::kInt32);
      histogram.add(code_tensor);
      const double distinct = distinct_codes_per_quantizer(code_tensor);
      distinct_sum += distinct;
      const SignalMetrics m = compute_signal_metrics(a.samples, y, rate);
      summary.add(m);
      audio_seconds += a.duration_s();
      compute_seconds += took;
      per_file.push_back({{"file", label},
                          {"duration_s", a.duration_s()},
                          {"stoi", number(m.stoi)},
                          {"estoi", number(m.estoi)},
                          {"si_sdr_db", number(m.si_sdr_db)},
                          {"mel_distance", number(m.mel_distance)},
                          {"log_spectral_distance", number(m.log_spectral_distance)},
                          {"rtf", number(took / std::max(1e-9, a.duration_s()))},
                          {"distinct_codes", distinct}});
      if (!png_dir.empty() && pngs < o.spectrograms) {
        fs::create_directories(png_dir);
        fs::path png = png_dir / (fs::path(label).filename().replace_extension("").string() + "_" +
                                  std::to_string(pngs) + ".png");
        write_spectrogram_comparison_png(png.string(), a.samples, y, rate);
        ++pngs;
      }
      XCODEC_LOG_INFO("[eval] " << per_file.size() << "/" << files.size() << " " << label
                                << ": STOI " << m.stoi << ", SI-SDR " << m.si_sdr_db << " dB");
    } catch (const Error& e) {
      failed.push_back({{"file", label}, {"reason", e.what()}});
      XCODEC_LOG_WARN("[eval] skipping " << label << ": " << e.what());
    }
  }
  if (summary.files == 0)
    throw Error("eval: no file could be evaluated; first failure: " +
                failed[0]["reason"].get<std::string>());
  const CodeUsage usage = histogram.pooled_usage();
  nlohmann::json report;
  report["model"] = o.model;
  report["source"] = o.dataset.empty() ? o.dir : o.dataset;
  report["files_evaluated"] = summary.files;
  report["mean"] = {{"stoi", number(summary.stoi.mean())},
                    {"estoi", number(summary.estoi.mean())},
                    {"si_sdr_db", number(summary.si_sdr_db.mean())},
                    {"mel_distance", number(summary.mel_distance.mean())},
                    {"log_spectral_distance", number(summary.log_spectral_distance.mean())}};
  report["codec"] = {
      {"sample_rate", rate},
      {"frame_rate", codec->frame_rate()},
      {"num_quantizers", codec->num_quantizers()},
      {"codebook_size", codec->codebook_size()},
      {"bitrate_bps", bitrate_bps(codec->frame_rate(), codec->codebook_size(),
                                  static_cast<int>(codec->num_quantizers()))},
      {"tokens_per_second",
       tokens_per_second(codec->frame_rate(), static_cast<int>(codec->num_quantizers()))},
      {"codebook_usage", usage.usage},
      {"codes_distinct", usage.distinct},
      {"code_entropy_bits", usage.entropy_bits},
      {"code_perplexity", usage.perplexity}};
  report["codec"]["family"] = codec->model_name();
  report["codec"]["quantizer"] = codec->quantizer_kind();
  report["codec"]["distinct_codes_per_file"] = distinct_sum / summary.files;
  report["codec"]["per_quantizer"] = nlohmann::json::array();
  for (int q = 0; q < histogram.num_quantizers(); ++q) {
    const CodeUsage u = histogram.usage(q);
    report["codec"]["per_quantizer"].push_back({{"codebook_usage", u.usage},
                                                {"codes_distinct", u.distinct},
                                                {"code_entropy_bits", u.entropy_bits},
                                                {"code_perplexity", u.perplexity},
                                                {"normalized_entropy", u.normalized_entropy}});
  }
  report["warnings"] = nlohmann::json::array();
  for (const std::string& w :
       code_usage_warnings(usage, codec->codebook_size(), distinct_sum / summary.files)) {
    XCODEC_LOG_WARN("[eval] warning: " << w);
    report["warnings"].push_back(w);
  }
  report["real_time_factor"] = compute_seconds / std::max(1e-9, audio_seconds);
  report["audio_seconds"] = audio_seconds;
  report["files"] = per_file;
  report["failed"] = failed;
  report["pesq"] =
      "not computed (PESQ's licence forbids redistribution; run an external pesq tool if you have "
      "one)";
  if (!o.output.empty()) io::write_file_atomic(o.output, report.dump(2) + "\n");
  return report;
}

}  // namespace xcodec::eval
