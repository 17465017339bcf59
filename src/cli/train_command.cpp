// `xcodec train KEY=VALUE...`: composes the YAML config, then runs the library's trainer.
#include <iostream>

#include "cli/command.h"
#include "xcodec/core/error.h"
#include "xcodec/core/signals.h"
#include "xcodec/io/atomic_file.h"
#include "xcodec/train/config/compose.h"
#include "xcodec/train/distributed/distributed_env.h"
#include "xcodec/train/distributed/launcher.h"
#include "xcodec/train/export.h"
#include "xcodec/train/trainer.h"

namespace xcodec::cli {
namespace {

void add_train_command(CLI::App& root) {
  auto* cmd = root.add_subcommand(
      "train",
      "Train (or resume) a codec: X-Codec-2.0 (model=xcodec2, xcodec2-small, xcodec2-cpu, tiny) "
      "or\n"
      "DwanCodec "
      "(model=dwan24k, dwan-cpu: the default model, dwan-tiny; model.quantizer=fsq|lfq|ema|vq).\n"
      "Config groups are chosen by "
      "name and any key is overridden by its dotted path, e.g.\n"
      "  xcodec train data_dir=DATA dataset.names='[mini]' model=tiny log_dir=LOG "
      "train.trainer.max_steps=40\n"
      "A log_dir holding last.ckpt resumes from it. SIGINT/SIGTERM finish the step, write "
      "last.ckpt, exit 0.");
  struct Args {
    std::vector<std::string> overrides;
    std::string config_dir;
    bool dump = false;
    int nproc = 0;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("overrides", args->overrides,
                  "group=option and dotted.key=value overrides (see docs/training.md)");
  cmd->add_option("--config-dir", args->config_dir,
                  "folder of YAML configs (default: $XCODEC_CONFIG_DIR or ./configs)");
  cmd->add_flag("--dump-config", args->dump, "print the resolved configuration as YAML and exit");
  cmd->add_option("--nproc", args->nproc,
                  "start this many data-parallel workers on this machine (like torchrun "
                  "--standalone --nproc-per-node; default train.trainer.devices). Under torchrun "
                  "or srun (RANK / SLURM_PROCID set) each process is one rank: see "
                  "docs/distributed.md");
  cmd->callback([args] {
    const train::TrainingConfig config =
        train::load_training_config(args->overrides, args->config_dir);
    if (args->dump) {
      std::cout << train::resolved_config_yaml(config);
      return;
    }
    const train::DistributedEnv env = train::DistributedEnv::from_environment();
    const int nproc =
        args->nproc > 0 ? args->nproc : static_cast<int>(config.train.trainer.devices);
    if (nproc > 1 && env.launcher.empty()) {
      const int rc = train::launch_local_workers(program_arguments(), nproc);
      if (rc != 0)
        throw Error("data-parallel training failed (a rank exited with status " +
                    std::to_string(rc) + ")");
      return;
    }
    install_stop_handlers();
    const train::TrainResult r = train::run_training(config);
    if (env.rank > 0) return;  // rank 0 reports
    std::cout << (r.interrupted ? "stopped" : "finished") << " at step " << r.steps << " ("
              << r.steps_this_run << " this run); mel loss " << r.first_mel_loss << " -> "
              << r.last_mel_loss << "; checkpoint " << r.last_checkpoint << "\n";
  });
}

void add_export_command(CLI::App& root) {
  auto* cmd = root.add_subcommand("export",
                                  "Write inference weights (original key names, model family and "
                                  "config in the metadata) from a checkpoint");
  struct Args {
    std::string checkpoint;
    std::string output;
    train::ExportOptions options;
    std::string card_file;
    std::vector<std::string> metadata;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("checkpoint", args->checkpoint,
                  "training checkpoint (LOG/last.ckpt, LOG/step=N.ckpt)")
      ->required();
  cmd->add_option("-o,--output", args->output, "output .safetensors")->required();
  cmd->add_flag("--keep-training-heads", args->options.keep_heads,
                "X-Codec-2.0: also keep fc_post_s and SemanticDecoder_module (for fine-tuning "
                "with init_from)");
  cmd->add_option("--card", args->card_file,
                  "model card: a JSON file stored in the metadata under xcodec.model_card "
                  "(data, licences, recipe, metrics; see models/README.md)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--metadata", args->metadata, "extra metadata entries KEY=VALUE (repeatable)");
  cmd->callback([args] {
    if (!args->card_file.empty()) args->options.model_card = io::read_file(args->card_file);
    for (const auto& kv : args->metadata) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0)
        throw ConfigError("export: --metadata wants KEY=VALUE, got '" + kv + "'");
      args->options.metadata[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    train::export_checkpoint(args->checkpoint, args->output, args->options);
    std::cout << "wrote " << args->output << "\n";
  });
}

}  // namespace

XCODEC_REGISTER_COMMAND(50, add_train_command);
XCODEC_REGISTER_COMMAND(51, add_export_command);

}  // namespace xcodec::cli
