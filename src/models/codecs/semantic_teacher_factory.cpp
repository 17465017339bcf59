#include "xcodec/models/codecs/semantic_teacher_factory.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <filesystem>
#include <mutex>

#include "xcodec/core/error.h"

namespace xcodec::models {
namespace {

Wav2Vec2BertConfig random_teacher_config(const XCodec2Config& config) {
  Wav2Vec2BertConfig c;
  c.hidden_size = config.semantic.hidden_size;
  c.num_attention_heads = c.hidden_size % 4 == 0 ? 4 : (c.hidden_size % 2 == 0 ? 2 : 1);
  c.intermediate_size = 2 * c.hidden_size;
  c.num_hidden_layers = config.semantic.teacher_layer;
  c.conv_depthwise_kernel_size = 5;
  return c;
}

}  // namespace

Wav2Vec2BertModel make_random_teacher_model(const XCodec2Config& config, uint64_t seed) {
  // A private generator state, so the teacher is the same whatever ran before (and on resume).
  at::Generator gen = at::detail::getDefaultCPUGenerator();
  torch::Tensor saved;
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    saved = gen.get_state();
  }
  torch::manual_seed(seed ^ 0x7eac4e5ull);
  Wav2Vec2BertOptions options;
  options.config = random_teacher_config(config);
  options.num_layers = config.semantic.teacher_layer;
  Wav2Vec2BertModel model(options);
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(saved);
  }
  return model;
}

std::shared_ptr<const SemanticTeacher> make_semantic_teacher(const XCodec2Config& config,
                                                             torch::Device device, uint64_t seed) {
  const std::string& teacher = config.semantic.teacher;
  if (teacher == "none") return nullptr;
  if (config.hop_length() != SemanticTeacher::kHop ||
      config.sample_rate != SemanticTeacher::kSampleRate) {
    throw ConfigError("model.semantic.teacher='" + teacher +
                      "': the w2v-BERT teacher gives 50 Hz frames at 16 kHz, "
                      "but the model has hop " +
                      std::to_string(config.hop_length()) + " at " +
                      std::to_string(config.sample_rate) + " Hz; use model.semantic.teacher=none");
  }
  SemanticTeacherOptions options;
  options.layer = config.semantic.teacher_layer;
  options.device = device;
  if (teacher == "random") {
    return std::make_shared<const SemanticTeacher>(make_random_teacher_model(config, seed),
                                                   options);
  }
  namespace fs = std::filesystem;
  const fs::path dir(teacher);
  if (teacher.empty() || !fs::is_regular_file(dir / "config.json") ||
      !fs::is_regular_file(dir / "model.safetensors")) {
    throw ConfigError(
        "model.semantic.teacher='" + teacher +
        "': expected a folder with the w2v-BERT 2.0 teacher's config.json and model.safetensors "
        "(download facebook/w2v-bert-2.0 and pass its folder, e.g. "
        "model.semantic.teacher=/models/w2v-bert-2.0; or use 'random' for smoke tests, "
        "'none' to switch the semantic branch off)");
  }
  auto t = SemanticTeacher::load(teacher, options);
  if (t->hidden_size() != config.semantic.hidden_size) {
    throw ConfigError("model.semantic.hidden_size=" + std::to_string(config.semantic.hidden_size) +
                      " but the teacher in '" + teacher + "' has hidden size " +
                      std::to_string(t->hidden_size()));
  }
  return t;
}

}  // namespace xcodec::models
