// `xcodec export`: a training checkpoint (or an export) → self-describing inference weights.
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "xcodec/core/error.h"
#include "xcodec/io/safetensors.h"
#include "xcodec/models/codecs/codec_registry.h"
#include "xcodec/train/checkpoint.h"
#include "xcodec/train/export.h"
#include "xcodec/train/trainer.h"

namespace xcodec::train {

void export_checkpoint(const std::string& checkpoint, const std::string& output, bool keep_heads) {
  ExportOptions options;
  options.keep_heads = keep_heads;
  export_checkpoint(checkpoint, output, options);
}

void export_checkpoint(const std::string& checkpoint, const std::string& output,
                       const ExportOptions& export_options) {
  // The writer's own keys describe the weights; a caller must not be able to contradict them.
  static const std::set<std::string> kReserved = {"format",
                                                  models::kMetaFormatVersion,
                                                  models::kMetaModel,
                                                  models::kMetaConfig,
                                                  "xcodec.teacher_config",
                                                  "xcodec.teacher_seed"};
  for (const auto& [key, value] : export_options.metadata) {
    if (key.empty() || kReserved.count(key) || key == kMetaModelCard)
      throw ConfigError("export: metadata key '" + key +
                        "' is reserved (the model card goes in with --card)");
  }
  if (!export_options.model_card.empty()) {
    nlohmann::json card;
    try {
      card = nlohmann::json::parse(export_options.model_card);
    } catch (const nlohmann::json::exception& e) {
      throw ConfigError(std::string("export: the model card is not valid JSON: ") + e.what());
    }
    if (!card.is_object()) throw ConfigError("export: the model card must be a JSON object");
  }
  const bool keep_heads = export_options.keep_heads;
  auto file = io::SafetensorsFile::open(checkpoint);
  const auto& meta = file->metadata();
  auto it = meta.find(models::kMetaConfig);
  if (it == meta.end()) {
    throw CheckpointError(checkpoint +
                          ": no model config in its metadata (not an xcodec checkpoint or export)");
  }
  models::CodecBuildOptions options;
  options.training = keep_heads;
  options.conditioning = false;  // weights only: no teacher to load
  if (auto seed = meta.find("xcodec.teacher_seed"); seed != meta.end())
    options.seed = std::stoull(seed->second);
  std::string yaml = it->second;
  // Files from before the family registry: the config has no name; the metadata does.
  if (auto name = meta.find(models::kMetaModel);
      name != meta.end() && models::codec_name_of(yaml) != name->second) {
    yaml = "name: " + name->second + "\n" + yaml;
  }
  auto codec = models::build_codec(yaml, options);
  if (is_training_checkpoint(checkpoint)) {
    CheckpointReader(checkpoint).load_module("model.", codec->module());
  } else {
    codec->load_weights(checkpoint);
  }
  std::map<std::string, std::string> extra;
  if (auto seed = meta.find("xcodec.teacher_seed"); seed != meta.end())
    extra["xcodec.teacher_seed"] = seed->second;
  for (const auto& [key, value] : export_options.metadata) extra[key] = value;
  if (!export_options.model_card.empty()) extra[kMetaModelCard] = export_options.model_card;
  codec->save_inference_file(output, extra);
}

}  // namespace xcodec::train
