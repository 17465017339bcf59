#pragma once
/// `xcodec export` with extra metadata: a training checkpoint (or a weights file) → inference
/// weights whose `__metadata__` also carries caller-supplied entries, such as a model card.
#include <map>
#include <string>

namespace xcodec::train {

/// Metadata key of the model card: JSON (data and licence attribution, recipe, steps, wall
/// time, metrics, the command that made the file); see models/README.md.
inline constexpr const char* kMetaModelCard = "xcodec.model_card";

struct ExportOptions {
  bool keep_heads = false;  ///< X-Codec-2.0: keep the training-only heads (fine-tuning)
  /// Extra `__metadata__` entries (key → string). Keys starting with "xcodec.model" or equal to
  /// "xcodec.config"/"format" are the writer's own and are refused (ConfigError).
  std::map<std::string, std::string> metadata;
  /// Model card JSON text stored under kMetaModelCard; must parse as a JSON object
  /// (ConfigError otherwise). "" = none.
  std::string model_card;
};

/// Like export_checkpoint (trainer.h) with the extra metadata.
void export_checkpoint(const std::string& checkpoint, const std::string& output,
                       const ExportOptions& options);

}  // namespace xcodec::train
