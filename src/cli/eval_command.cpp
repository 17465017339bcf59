// `xcodec eval`: codec quality report over a dataset split or a folder (reconstructed with a
// model), or of any codec's output against the originals (--ref/--deg, no model).
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>

#include "cli/command.h"
#include "cli/model_argument.h"
#include "xcodec/core/error.h"
#include "xcodec/eval/compare.h"
#include "xcodec/eval/evaluator.h"

namespace xcodec::cli {
namespace {

double value(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : std::nan("");
}

// "%8.3f" of a value, or "-" where it is not a finite number (SI-SDR of an exact copy is +inf,
// stored as null in the JSON).
std::string cell(double v, int width, int precision) {
  char buf[64];
  if (std::isfinite(v)) {
    std::snprintf(buf, sizeof buf, "%*.*f", width, precision, v);
  } else {
    std::snprintf(buf, sizeof buf, "%*s", width, "-");
  }
  return buf;
}

void print_row(const std::string& label, const nlohmann::json& j) {
  std::printf("%-40.40s %s %s %s %s %s %s\n", label.c_str(),
              cell(value(j, "delay_ms"), 9, 1).c_str(), cell(value(j, "stoi"), 7, 4).c_str(),
              cell(value(j, "estoi"), 7, 4).c_str(), cell(value(j, "si_sdr_db"), 9, 2).c_str(),
              cell(value(j, "mel_distance"), 8, 3).c_str(),
              cell(value(j, "log_spectral_distance"), 7, 3).c_str());
}

// A short fixed-width table of the per-file scores (first `max_rows`) and the mean.
void print_comparison_table(const nlohmann::json& report, size_t max_rows) {
  std::printf("%-40s %9s %7s %7s %9s %8s %7s\n", "file", "delay_ms", "STOI", "ESTOI", "SI-SDR_dB",
              "mel_dist", "LSD");
  const auto& files = report["files"];
  for (size_t i = 0; i < files.size() && i < max_rows; ++i)
    print_row(files[i]["file"].get<std::string>(), files[i]);
  if (files.size() > max_rows) std::printf("... %zu more files\n", files.size() - max_rows);
  print_row("mean of " + std::to_string(files.size()) + " files", report["mean"]);
  std::printf("unmatched: %zu reference, %zu degraded; failed: %zu\n",
              report["unmatched_ref"].size(), report["unmatched_deg"].size(),
              report["failed"].size());
  for (const auto& f : report["failed"])
    std::printf("  failed: %s: %s\n", f["file"].get<std::string>().c_str(),
                f["reason"].get<std::string>().c_str());
}

void add_eval_command(CLI::App& root) {
  auto* cmd = root.add_subcommand(
      "eval",
      "Reconstruct files with a codec and report STOI, ESTOI, SI-SDR, mel and\n"
      "log-spectral distances, bitrate, codebook usage and real-time factor;\n"
      "or, with --ref DIR --deg DIR, score any codec's output against the originals");
  auto o = std::make_shared<eval::EvalOptions>();
  auto c = std::make_shared<eval::CompareOptions>();
  auto table_rows = std::make_shared<size_t>(20);
  auto* model = cmd->add_option("-m,--model", o->model,
                                "weights (.safetensors); default: $XCODEC_MODEL, else the shipped "
                                "models/dwan-cpu.safetensors");
  auto* dataset = cmd->add_option("--dataset", o->dataset,
                                  "registered dataset NAME or NAME:split (default split test)");
  cmd->add_option("--data-dir", o->data_dir, "folder holding datasets.json (with --dataset)");
  auto* dir = cmd->add_option("--dir", o->dir, "or: a folder of audio files");
  cmd->add_option("-o,--output", o->output, "report JSON path (spectrogram PNGs go beside it)");
  cmd->add_option("--teacher", o->teacher,
                  "w2v-BERT 2.0 folder when the weights do not include it");
  cmd->add_option("--device", o->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--max-files", o->max_files, "evaluate at most this many files (0 = all)")
      ->capture_default_str();
  cmd->add_option("--spectrograms", o->spectrograms, "PNG comparisons to write")
      ->capture_default_str();
  auto* ref = cmd->add_option("--ref", c->ref_dir,
                              "no model: folder of originals, scored against --deg (files paired "
                              "by relative path without extension)");
  auto* deg = cmd->add_option("--deg", c->deg_dir, "no model: folder of a codec's outputs");
  ref->needs(deg);
  deg->needs(ref);
  ref->excludes(model)->excludes(dataset)->excludes(dir);
  cmd->add_option("--sample-rate", c->sample_rate,
                  "with --ref: rate both are scored at, Hz (0 = each original's own rate)")
      ->capture_default_str();
  cmd->add_option("--max-delay-ms", c->max_delay_ms,
                  "with --ref: largest constant delay removed, either sign (0 = none)")
      ->capture_default_str();
  cmd->add_option("--table-rows", *table_rows, "with --ref: per-file rows printed")
      ->capture_default_str();
  cmd->callback([o, c, table_rows] {
    if (!c->ref_dir.empty()) {
      c->output = o->output;
      c->max_files = o->max_files;
      const auto report = eval::run_comparison(*c);
      print_comparison_table(report, *table_rows);
      if (!o->output.empty()) std::cout << "report: " << o->output << "\n";
      return;
    }
    o->model = model_argument(o->model);
    const auto report = eval::run_evaluation(*o);
    std::cout << report["mean"].dump(2) << "\n"
              << report["codec"].dump(2) << "\nreal-time factor "
              << report["real_time_factor"].get<double>() << " over "
              << report["files_evaluated"].get<int64_t>() << " files"
              << (o->output.empty() ? "" : "; report: " + o->output) << "\n";
  });
}

}  // namespace

XCODEC_REGISTER_COMMAND(70, add_eval_command);

}  // namespace xcodec::cli
