#pragma once
/// Wav2Vec2-BERT (w2v-BERT 2.0) Conformer encoder, inference only, as used by X-Codec-2.0 for its
/// semantic teacher (spec: shared/spec/semantic-teacher.md §2, transformers'
/// `modeling_wav2vec2_bert.py`). Registration names reproduce the Hugging Face state-dict keys
/// (`feature_projection.layer_norm.weight`, `encoder.layers.3.self_attn.linear_q.bias`, ...), so
/// the released `model.safetensors` loads by name.
///
/// Only the layers needed for the requested hidden state are built: hidden state k (k = 0 is the
/// feature projection, k >= 1 the output of `encoder.layers[k-1]`) needs layers 0..k-1.
/// X-Codec-2.0 uses k = 16 of the 24-layer model.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <string>
#include <vector>

#include "xcodec/io/safetensors.h"
#include "xcodec/models/semantic/wav2vec2_bert_config.h"

namespace xcodec::models {

/// Macaron feed-forward (`ffn1`/`ffn2`): Linear(H→I) → act → Linear(I→H). [B, T, H] → [B, T, H].
class Wav2Vec2BertFeedForwardImpl : public torch::nn::Cloneable<Wav2Vec2BertFeedForwardImpl> {
 public:
  explicit Wav2Vec2BertFeedForwardImpl(Wav2Vec2BertConfig config);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  torch::Tensor forward(const torch::Tensor& x);

  Wav2Vec2BertConfig config;
  torch::nn::Linear intermediate_dense{nullptr};
  torch::nn::Linear output_dense{nullptr};
};
TORCH_MODULE(Wav2Vec2BertFeedForward);

/// Multi-head self-attention with Shaw-style `relative_key` positions: score(i, j) =
/// q_i·(k_j + E[clamp(j - i, -left, right) + left]) / sqrt(head_size). Not causal.
class Wav2Vec2BertSelfAttentionImpl : public torch::nn::Cloneable<Wav2Vec2BertSelfAttentionImpl> {
 public:
  explicit Wav2Vec2BertSelfAttentionImpl(Wav2Vec2BertConfig config);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// x [B, T, H]; attention_bias: undefined or additive [B, 1, 1, T] (0 keep, very negative drop).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& attention_bias = {});

  Wav2Vec2BertConfig config;
  torch::nn::Linear linear_q{nullptr}, linear_k{nullptr}, linear_v{nullptr}, linear_out{nullptr};
  torch::nn::Embedding distance_embedding{nullptr};  ///< [left + right + 1, head_size]
};
TORCH_MODULE(Wav2Vec2BertSelfAttention);

/// Conformer convolution module: LN → 1x1 conv H→2H (no bias) → GLU → causal depthwise conv
/// (K-1 zeros on the left, no bias) → LN → act → 1x1 conv H→H (no bias). [B, T, H] → [B, T, H].
class Wav2Vec2BertConvolutionModuleImpl
    : public torch::nn::Cloneable<Wav2Vec2BertConvolutionModuleImpl> {
 public:
  explicit Wav2Vec2BertConvolutionModuleImpl(Wav2Vec2BertConfig config);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// mask: undefined or [B, T] (nonzero = real frame); padded frames are zeroed after the first LN.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask = {});

  Wav2Vec2BertConfig config;
  torch::nn::LayerNorm layer_norm{nullptr};
  torch::nn::Conv1d pointwise_conv1{nullptr};
  torch::nn::Conv1d depthwise_conv{nullptr};
  torch::nn::LayerNorm depthwise_layer_norm{nullptr};
  torch::nn::Conv1d pointwise_conv2{nullptr};
};
TORCH_MODULE(Wav2Vec2BertConvolutionModule);

/// Per-module outputs of one layer, for parity checks (each [B, T, H], before residual scaling).
struct Wav2Vec2BertLayerTrace {
  torch::Tensor ffn1;         ///< ffn1(LN(x)), before the ×0.5 residual
  torch::Tensor self_attn;    ///< attention output, before the residual add
  torch::Tensor conv_module;  ///< conv module output, before the residual add
  torch::Tensor ffn2;         ///< ffn2(LN(x)), before the ×0.5 residual and the final LN
};

/// One Conformer layer: x += ½ FFN1(LN x); x += MHSA(LN x); x += Conv(x); x += ½ FFN2(LN x);
/// x = LN_final(x).
class Wav2Vec2BertEncoderLayerImpl : public torch::nn::Cloneable<Wav2Vec2BertEncoderLayerImpl> {
 public:
  explicit Wav2Vec2BertEncoderLayerImpl(Wav2Vec2BertConfig config);
  void reset() override;
  /// x [B, T, H]; attention_bias [B, 1, 1, T] and mask [B, T] are both given or both undefined.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& attention_bias = {},
                        const torch::Tensor& mask = {}, Wav2Vec2BertLayerTrace* trace = nullptr);

  Wav2Vec2BertConfig config;
  torch::nn::LayerNorm ffn1_layer_norm{nullptr};
  Wav2Vec2BertFeedForward ffn1{nullptr};
  torch::nn::LayerNorm self_attn_layer_norm{nullptr};
  Wav2Vec2BertSelfAttention self_attn{nullptr};
  Wav2Vec2BertConvolutionModule conv_module{nullptr};
  torch::nn::LayerNorm ffn2_layer_norm{nullptr};
  Wav2Vec2BertFeedForward ffn2{nullptr};
  torch::nn::LayerNorm final_layer_norm{nullptr};
};
TORCH_MODULE(Wav2Vec2BertEncoderLayer);

/// Feature projection: LN(160) → Linear(160→H). [B, T, 160] → [B, T, H].
class Wav2Vec2BertFeatureProjectionImpl
    : public torch::nn::Cloneable<Wav2Vec2BertFeatureProjectionImpl> {
 public:
  explicit Wav2Vec2BertFeatureProjectionImpl(Wav2Vec2BertConfig config);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& features);

  Wav2Vec2BertConfig config;
  torch::nn::LayerNorm layer_norm{nullptr};
  torch::nn::Linear projection{nullptr};
};
TORCH_MODULE(Wav2Vec2BertFeatureProjection);

/// Options of the truncated model.
struct Wav2Vec2BertOptions {
  Wav2Vec2BertConfig config;  ///< the checkpoint's architecture (config.json)
  int64_t num_layers =
      16;  ///< layers to build = index of the hidden state returned (0..config.num_hidden_layers)
  /// Throws ConfigError if num_layers is out of range or the config is invalid.
  void validate() const;
};

/// `encoder` submodule holding the built layers under `layers.{i}`.
class Wav2Vec2BertEncoderImpl : public torch::nn::Cloneable<Wav2Vec2BertEncoderImpl> {
 public:
  Wav2Vec2BertEncoderImpl(Wav2Vec2BertConfig config, int64_t num_layers);
  void reset() override;

  Wav2Vec2BertConfig config;
  int64_t num_layers;
  torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(Wav2Vec2BertEncoder);

/// The model truncated after `num_layers` Conformer layers; no adapter, no final encoder norm
/// (the released model has neither).
class Wav2Vec2BertModelImpl : public torch::nn::Cloneable<Wav2Vec2BertModelImpl> {
 public:
  explicit Wav2Vec2BertModelImpl(Wav2Vec2BertOptions options);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;

  /// hidden_states[num_layers]: [B, T, feature_projection_input_dim] → [B, T, hidden_size].
  /// attention_mask: undefined (X-Codec-2.0) or [B, T] with 1 for real frames; when given,
  /// padded frames are zeroed after the projection and excluded as attention keys, like the
  /// reference.
  torch::Tensor forward(const torch::Tensor& input_features,
                        const torch::Tensor& attention_mask = {});
  /// All hidden states 0..num_layers (num_layers + 1 tensors [B, T, H]); `traces`, if given,
  /// receives one entry per layer.
  std::vector<torch::Tensor> hidden_states(const torch::Tensor& input_features,
                                           const torch::Tensor& attention_mask = {},
                                           std::vector<Wav2Vec2BertLayerTrace>* traces = nullptr);

  Wav2Vec2BertOptions options;
  Wav2Vec2BertFeatureProjection feature_projection{nullptr};
  Wav2Vec2BertEncoder encoder{nullptr};
};
TORCH_MODULE(Wav2Vec2BertModel);

/// Copies weights from `file` into `model` (converted to each parameter's dtype and device).
/// The key of a parameter is `prefix` + its registration name ("" for a HF model.safetensors,
/// "semantic_model." inside an X-Codec-2.0 checkpoint). Strict: throws CheckpointError listing
/// every missing or mis-shaped key (with both shapes) and every unknown key under `prefix`.
/// Keys of the checkpoint that the truncated model does not need are allowed: known layer tensors
/// of layers num_layers..num_hidden_layers-1 (not loaded, shapes not checked), `masked_spec_embed`
/// (spec-augment only), `adapter.*` and `intermediate_ffn.*`.
/// Keys outside `prefix` are ignored. Returns the number of tensors loaded.
int64_t load_wav2vec2_bert_weights(Wav2Vec2BertModel& model, const io::SafetensorsFile& file,
                                   const std::string& prefix = "");

}  // namespace xcodec::models
