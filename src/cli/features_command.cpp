// `xcodec features`: precomputes the semantic teacher's hidden states of a prepared dataset.
#include <iostream>

#include "cli/command.h"
#include "xcodec/core/error.h"
#include "xcodec/core/signals.h"
#include "xcodec/train/feature_cache.h"

namespace xcodec::cli {
namespace {

void add_features_command(CLI::App& root) {
  auto* cmd = root.add_subcommand(
      "features",
      "Cache the w2v-BERT teacher's hidden states of a prepared dataset (one .npy per utterance,\n"
      "resumable) so that training need not run the teacher for crops the cache covers");
  auto opts = std::make_shared<train::FeatureCacheOptions>();
  cmd->add_option("--data-dir", opts->data_dir, "folder holding datasets.json")->required();
  cmd->add_option("--dataset", opts->dataset, "registered dataset name")->required();
  cmd->add_option("--teacher", opts->teacher,
                  "folder with the teacher's config.json and model.safetensors")
      ->required();
  cmd->add_option("--layer", opts->layer, "hidden state to cache (X-Codec-2.0: 16)")
      ->capture_default_str();
  cmd->add_option("--device", opts->device, "cpu or cuda[:N]")->capture_default_str();
  cmd->callback([opts] {
    install_stop_handlers();
    const auto r = train::build_feature_cache(*opts);
    std::cout << "features: " << r.computed << " computed, " << r.existing << " already cached, "
              << r.failed << " failed; " << r.audio_seconds / 3600.0 << " h of audio in "
              << r.wall_seconds << " s -> " << r.cache_dir << "\n";
    if (r.failed > 0 && r.computed + r.existing == 0)
      throw Error("features: no file could be processed");
  });
}

}  // namespace

XCODEC_REGISTER_COMMAND(45, add_features_command);

}  // namespace xcodec::cli
