// `xcodec export`: a training checkpoint (or an export) → self-describing inference weights.
#include <torch/torch.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "xcodec/core/error.h"
#include "xcodec/io/safetensors.h"
#include "xcodec/models/codecs/semantic_teacher_factory.h"
#include "xcodec/models/codecs/xcodec2_model.h"
#include "xcodec/models/layers/state_dict.h"
#include "xcodec/models/semantic/wav2vec2_bert.h"
#include "xcodec/train/checkpoint.h"
#include "xcodec/train/trainer.h"

namespace xcodec::train {

void export_checkpoint(const std::string& checkpoint, const std::string& output, bool keep_heads) {
  auto file = io::SafetensorsFile::open(checkpoint);
  const auto& meta = file->metadata();
  auto it = meta.find(models::kMetaConfig);
  if (it == meta.end()) {
    throw CheckpointError(checkpoint +
                          ": no model config in its metadata (not an xcodec checkpoint or export)");
  }
  const auto config = models::XCodec2Config::from_yaml(it->second);
  models::CodecModel model(config, keep_heads);
  if (file->contains("model.fc_prior.weight")) {
    CheckpointReader(checkpoint).load_module("model.", *model);
  } else {
    models::LoadStateOptions o;
    o.optional_prefixes = {"fc_post_s.", "SemanticDecoder_module."};
    o.foreign_prefixes = {"semantic_model."};
    if (!keep_heads)
      o.foreign_prefixes.insert(o.foreign_prefixes.end(), o.optional_prefixes.begin(),
                                o.optional_prefixes.end());
    models::load_state(*model, models::SafetensorsSource(file), o);
  }
  if (config.semantic.teacher == "random") {
    // The random teacher the codec was trained with travels with it, so encode needs nothing else.
    auto seed_it = meta.find("xcodec.teacher_seed");
    const uint64_t seed = seed_it != meta.end() ? std::stoull(seed_it->second) : 0;
    models::Wav2Vec2BertModel w2v = models::make_random_teacher_model(config, seed);
    std::vector<std::pair<std::string, torch::Tensor>> tensors = models::persistent_state(*model);
    for (const auto& p : w2v->named_parameters(true))
      tensors.emplace_back("semantic_model." + p.key(), p.value());
    for (const auto& b : w2v->named_buffers(true))
      tensors.emplace_back("semantic_model." + b.key(), b.value());
    std::map<std::string, std::string> out_meta = {
        {models::kMetaFormatVersion, models::kFormatVersion},
        {models::kMetaModel, models::CodecModelImpl::kName},
        {models::kMetaConfig, config.to_yaml()},
        {"xcodec.teacher_config", w2v->options.config.to_json()}};
    io::save_safetensors(output, tensors, out_meta);
    return;
  }
  model->save_weights(output);
}

}  // namespace xcodec::train
