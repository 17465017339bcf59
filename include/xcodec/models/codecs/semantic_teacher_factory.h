#pragma once
/// Builds the semantic teacher an X-Codec-2.0 config asks for (`semantic.teacher`):
///   "<dir>"  the released w2v-BERT 2.0 (dir holds config.json + model.safetensors)
///   "random" a small randomly initialised w2v-BERT of width `semantic.hidden_size` (tests and
///            smoke runs; seeded, so every run and every resume gets the same teacher)
///   "none"   no teacher: the semantic branch gets zeros and there is no semantic loss
#include <torch/types.h>

#include <cstdint>
#include <memory>

#include "xcodec/models/codecs/xcodec2_config.h"
#include "xcodec/models/semantic/semantic_teacher.h"

namespace xcodec::models {

/// nullptr for "none". Throws ConfigError when the folder is missing or incomplete, saying
/// where the released weights go.
std::shared_ptr<const SemanticTeacher> make_semantic_teacher(const XCodec2Config& config,
                                                             torch::Device device,
                                                             uint64_t seed = 0);

/// The "random" teacher's model: width semantic.hidden_size, semantic.teacher_layer layers,
/// initialised from `seed` without disturbing the global RNG.
Wav2Vec2BertModel make_random_teacher_model(const XCodec2Config& config, uint64_t seed);

}  // namespace xcodec::models
