#pragma once
/// The frozen semantic teacher of X-Codec-2.0: SeamlessM4T fbank features of the 16 kHz waveform
/// fed to w2v-BERT 2.0, returning hidden state 16 (the output of `encoder.layers.15`).
///
/// Usage:
///   xcodec::models::SemanticTeacherOptions opts;        // layer 16, CPU, float32
///   opts.device = torch::kCUDA;
///   auto teacher = xcodec::models::SemanticTeacher::load("/models/w2v-bert-2.0", opts);
///   auto wav = xcodec::audio::xcodec2_pad_to_hop(raw_16k);   // [B, N'], N' % 320 == 0
///   torch::Tensor s = teacher->hidden(wav);                  // [B, N'/320, 1024]
///   // s is frame-aligned with the 320-hop acoustic encoder run on the same `wav`.
///
/// The teacher folder holds the Hugging Face `config.json` and `model.safetensors` of
/// facebook/w2v-bert-2.0 (an optional `preprocessor_config.json` is honoured). Only the feature
/// projection and the first `layer` Conformer layers are built and loaded.
#include <torch/types.h>

#include <memory>
#include <string>

#include "xcodec/audio/seamless_fbank.h"
#include "xcodec/models/semantic/wav2vec2_bert.h"
#include "xcodec/models/semantic/wav2vec2_bert_config.h"

namespace xcodec::models {

struct SemanticTeacherOptions {
  int64_t layer = 16;  ///< hidden_states index returned (X-Codec-2.0: 16)
  std::string prefix;  ///< key prefix in the weights ("semantic_model." in a codec checkpoint)
  torch::Device device = torch::kCPU;         ///< where the model and the feature extraction run
  torch::ScalarType dtype = torch::kFloat32;  ///< model dtype (features are computed in float64/32)
  audio::SeamlessFbankOptions fbank;          ///< extractor settings (w2v-bert-2.0 defaults)
};

/// A loaded teacher. Immutable after construction; `hidden()` may be called from several threads.
class SemanticTeacher {
 public:
  /// Loads `dir/config.json` and `dir/model.safetensors` (and `dir/preprocessor_config.json` if
  /// present, which then replaces options.fbank). Throws IoError/ConfigError/CheckpointError.
  static std::shared_ptr<const SemanticTeacher> load(const std::string& dir,
                                                     SemanticTeacherOptions options = {});
  /// Loads from an explicit config.json and safetensors file (e.g. a codec checkpoint with
  /// options.prefix = "semantic_model.").
  static std::shared_ptr<const SemanticTeacher> load(const std::string& config_json,
                                                     const std::string& weights,
                                                     SemanticTeacherOptions options);

  /// Wraps an already built model (its num_layers must equal options.layer); moves it to
  /// options.device/dtype and puts it in eval mode.
  SemanticTeacher(Wav2Vec2BertModel model, SemanticTeacherOptions options);

  /// Teacher hidden state of 320-aligned 16 kHz waveforms: [B, N'] (or [N']) with N' % 320 == 0
  /// → [B, N'/320, hidden_size] on options.device in options.dtype. Pads 160 zeros on each side,
  /// extracts per-utterance-normalised fbank features and runs layers 0..layer-1 without an
  /// attention mask, as X-Codec-2.0 does. Runs under InferenceMode; the result is an ordinary
  /// tensor (usable as a training target). Throws ShapeError on a misaligned length.
  torch::Tensor hidden(const torch::Tensor& wave_16k) const;
  /// The stacked features hidden() feeds the model: [B, N'] → [B, N'/320, 160] float32.
  torch::Tensor features(const torch::Tensor& wave_16k) const;
  /// The model part alone: features [B, T, 160] → [B, T, hidden_size].
  torch::Tensor hidden_from_features(const torch::Tensor& input_features) const;

  int64_t layer() const { return options_.layer; }
  int64_t hidden_size() const { return config().hidden_size; }
  const Wav2Vec2BertConfig& config() const { return model_->options.config; }
  const SemanticTeacherOptions& options() const { return options_; }
  /// Samples per output frame (50 Hz at 16 kHz).
  static constexpr int64_t kHop = audio::kXcodec2Hop;
  static constexpr int64_t kSampleRate = 16000;

 private:
  SemanticTeacherOptions options_;
  audio::SeamlessFbank fbank_;
  // LibTorch's forward() is non-const; inference never mutates the module.
  mutable Wav2Vec2BertModel model_;
};

}  // namespace xcodec::models
