// `xcodec eval`: codec quality report over a dataset split or a folder.
#include <iostream>

#include "cli/command.h"
#include "xcodec/eval/evaluator.h"

namespace xcodec::cli {
namespace {

void add_eval_command(CLI::App& root) {
  auto* cmd =
      root.add_subcommand("eval",
                          "Reconstruct files with a codec and report STOI, ESTOI, SI-SDR, mel and\n"
                          "log-spectral distances, bitrate, codebook usage and real-time factor");
  auto o = std::make_shared<eval::EvalOptions>();
  cmd->add_option("-m,--model", o->model, "weights (.safetensors)")->required();
  cmd->add_option("--dataset", o->dataset,
                  "registered dataset NAME or NAME:split (default split test)");
  cmd->add_option("--data-dir", o->data_dir, "folder holding datasets.json (with --dataset)");
  cmd->add_option("--dir", o->dir, "or: a folder of audio files");
  cmd->add_option("-o,--output", o->output, "report JSON path (spectrogram PNGs go beside it)");
  cmd->add_option("--teacher", o->teacher,
                  "w2v-BERT 2.0 folder when the weights do not include it");
  cmd->add_option("--device", o->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--max-files", o->max_files, "evaluate at most this many files (0 = all)")
      ->capture_default_str();
  cmd->add_option("--spectrograms", o->spectrograms, "PNG comparisons to write")
      ->capture_default_str();
  cmd->callback([o] {
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
