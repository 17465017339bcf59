#include "xcodec/models/semantic/semantic_teacher.h"

#include <torch/torch.h>

#include <filesystem>
#include <sstream>

#include "xcodec/core/error.h"
#include "xcodec/core/logging.h"
#include "xcodec/io/safetensors.h"
#include "xcodec/models/layers/parameter_init.h"

namespace xcodec::models {

std::shared_ptr<const SemanticTeacher> SemanticTeacher::load(const std::string& dir,
                                                             SemanticTeacherOptions options) {
  const std::filesystem::path root(dir);
  if (!std::filesystem::is_directory(root))
    throw IoError("semantic teacher: '" + dir +
                  "' is not a directory (expected config.json and "
                  "model.safetensors of w2v-BERT 2.0)");
  const auto pre = root / "preprocessor_config.json";
  if (std::filesystem::exists(pre))
    options.fbank = audio::SeamlessFbankOptions::from_preprocessor_config(pre.string());
  return load((root / "config.json").string(), (root / "model.safetensors").string(),
              std::move(options));
}

std::shared_ptr<const SemanticTeacher> SemanticTeacher::load(const std::string& config_json,
                                                             const std::string& weights,
                                                             SemanticTeacherOptions options) {
  if (!std::filesystem::exists(config_json))
    throw IoError("semantic teacher: config file '" + config_json + "' not found");
  if (!std::filesystem::exists(weights))
    throw IoError("semantic teacher: weights file '" + weights + "' not found");
  Wav2Vec2BertOptions model_options;
  model_options.config = Wav2Vec2BertConfig::from_json_file(config_json);
  model_options.num_layers = options.layer;
  model_options.validate();
  Wav2Vec2BertModel model = [&] {
    const SkipParameterInit skip_init;  // every weight is loaded, strictly, below
    return Wav2Vec2BertModel(model_options);
  }();
  const auto file = io::SafetensorsFile::open(weights);
  const int64_t n = load_wav2vec2_bert_weights(model, *file, options.prefix);
  XCODEC_LOG_INFO("[teacher] loaded " << n << " tensors from " << weights << " (hidden state "
                                      << options.layer << " of "
                                      << model_options.config.num_hidden_layers << " layers)");
  return std::make_shared<const SemanticTeacher>(std::move(model), std::move(options));
}

SemanticTeacher::SemanticTeacher(Wav2Vec2BertModel model, SemanticTeacherOptions options)
    : options_(std::move(options)), fbank_(options_.fbank), model_(std::move(model)) {
  if (model_->options.num_layers != options_.layer)
    throw ConfigError("semantic teacher: model has " + std::to_string(model_->options.num_layers) +
                      " layers but layer = " + std::to_string(options_.layer) + " was requested");
  if (fbank_.options().num_mel_bins * fbank_.options().stride !=
      model_->options.config.feature_projection_input_dim)
    throw ConfigError("semantic teacher: feature size " +
                      std::to_string(fbank_.options().num_mel_bins * fbank_.options().stride) +
                      " != feature_projection_input_dim " +
                      std::to_string(model_->options.config.feature_projection_input_dim));
  model_->to(options_.device, options_.dtype);
  model_->eval();
  for (auto& p : model_->parameters()) p.set_requires_grad(false);
}

torch::Tensor SemanticTeacher::features(const torch::Tensor& wave_16k) const {
  if (wave_16k.dim() != 1 && wave_16k.dim() != 2) {
    std::ostringstream s;
    s << wave_16k.sizes();
    throw ShapeError("semantic teacher: expected a waveform [B, N'] or [N'], got " + s.str());
  }
  const torch::Tensor batch = wave_16k.dim() == 1 ? wave_16k.unsqueeze(0) : wave_16k;
  torch::Tensor feats;
  {
    torch::InferenceMode guard;
    // xcodec2_semantic_pad checks that N' is a multiple of 320; then T = N'/320 exactly.
    const torch::Tensor padded = audio::xcodec2_semantic_pad(batch.to(options_.device));
    feats = fbank_(padded).input_features;
  }
  return c10::InferenceMode::is_enabled() ? feats : feats.clone();
}

torch::Tensor SemanticTeacher::hidden_from_features(const torch::Tensor& input_features) const {
  torch::Tensor out;
  {
    torch::InferenceMode guard;
    out = model_->forward(input_features.to(options_.device, options_.dtype));
  }
  // Cloned outside InferenceMode so callers may use it in autograd graphs (training targets).
  return out.clone();
}

torch::Tensor SemanticTeacher::hidden(const torch::Tensor& wave_16k) const {
  torch::Tensor out;
  {
    torch::InferenceMode guard;
    out = model_->forward(features(wave_16k).to(options_.dtype));
  }
  return out.clone();
}

}  // namespace xcodec::models
