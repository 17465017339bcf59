// `xcodec prepare`: a folder of audio files -> a registered dataset (see docs/data.md).
#include <iomanip>
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "xcodec/data/prepare/prepare.h"

namespace xcodec::cli {
namespace {

void add_prepare_command(CLI::App& root) {
  auto* cmd = root.add_subcommand(
      "prepare",
      "Convert a folder of audio files to mono WAV/FLAC at one rate, split it into "
      "train/val/test and register it in DATA/datasets.json");
  auto cfg = std::make_shared<data::PrepareConfig>();
  cmd->add_option("--dataset", cfg->dataset, "Dataset name (letters, digits, '.', '_', '-')")
      ->required();
  cmd->add_option("--input-dir", cfg->input_dir, "Folder with the source audio (recursive)")
      ->required();
  cmd->add_option("--output-dir", cfg->output_dir,
                  "Data folder: holds datasets.json and processed/NAME/")
      ->required();
  cmd->add_option("--sample-rate", cfg->sample_rate, "Output sample rate in Hz")
      ->capture_default_str();
  cmd->add_option("--format", cfg->format, "Output format: wav (16-bit PCM), wav-float or flac")
      ->capture_default_str();
  cmd->add_option("--jobs", cfg->jobs, "Worker threads (0 = all cores)")->capture_default_str();
  cmd->add_option("--val-fraction", cfg->val_fraction,
                  "Share of files (not in a split-named folder) that go to val")
      ->capture_default_str();
  cmd->add_option("--test-fraction", cfg->test_fraction,
                  "Share of files (not in a split-named folder) that go to test")
      ->capture_default_str();
  cmd->add_option("--min-seconds", cfg->min_seconds, "Skip shorter files (0 = no limit)")
      ->capture_default_str();
  cmd->add_option("--max-seconds", cfg->max_seconds, "Skip longer files (0 = no limit)")
      ->capture_default_str();
  cmd->add_flag("--strict", cfg->strict, "Exit non-zero when any file was skipped");
  cmd->add_option("--progress", cfg->progress,
                  "auto (bar on a terminal, else periodic lines), bar, lines or none")
      ->capture_default_str();
  cmd->add_option("--file-time-limit", cfg->file_time_limit_s,
                  "Seconds allowed to decode one file (0 = no limit)")
      ->capture_default_str();
  cmd->callback([cfg] {
    cfg->handle_signals = true;
    const data::PrepareResult r = data::prepare_dataset(*cfg);
    std::cout << std::fixed << std::setprecision(3) << "prepared " << cfg->dataset << ": "
              << r.usable() << " files, " << r.hours() << " h -> " << r.dataset_dir
              << " (registered in " << cfg->output_dir << "/datasets.json); " << r.found
              << " input files: " << r.usable() << " converted, " << r.skipped.size()
              << " skipped, " << r.ignored.size() << " ignored (listed in " << r.dataset_dir
              << "/metadata.json)\n";
  });
}

}  // namespace

XCODEC_REGISTER_COMMAND(10, add_prepare_command);

}  // namespace xcodec::cli
