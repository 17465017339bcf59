#pragma once
/// The X-Codec-2.0 model (spec xcodec2.md §1), wired exactly as the original:
///
///   wave' [B, 1, N'] ─CodecEnc─► A [B, T, He] ─ᵀ─┐
///   w2v hidden_states[16] [B, T, S] ─ᵀ─ SemanticEncoder_module ─► S' [B, Cs, T]
///   cat([S'; Aᵀ], channels)  (semantic FIRST) ─ fc_prior ─► [B, V, T]
///   generator.quantizer (ResidualFSQ, double bound) ─► codes [B, 1, T] int32, q [B, V, T]
///   fc_post_a(q) [B, T, Hd] ─ generator.backbone ─ generator.head (ISTFT) ─► [B, 1, N']
///   training only: SemanticDecoder_module(fc_post_s(q)) ─► semantic reconstruction [B, S, T]
///
/// N' = N + p with p = hop − N mod hop ∈ [1, hop] (never 0; see pad_for_encoding()). The
/// output is N' samples long, untrimmed, as in the original.
///
/// Usage (inference):
///   auto model = xcodec::models::load_xcodec2_model("xcodec2.safetensors");  // config from
///   metadata torch::InferenceMode guard; auto codes = model->encode(pad_for_encoding(wave,
///   320).unsqueeze(1), w2v_hidden16); auto audio = model->decode(codes);
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <map>
#include <memory>
#include <string>

#include "xcodec/models/codecs/codec_model.h"
#include "xcodec/models/codecs/xcodec2_config.h"
#include "xcodec/models/decoder/codec_decoder_vocos.h"
#include "xcodec/models/encoder/codec_encoder.h"
#include "xcodec/models/layers/compute_precision.h"
#include "xcodec/models/layers/state_dict.h"
#include "xcodec/models/semantic/semantic_adapter.h"

namespace xcodec::models {

/// Zero samples appended before encoding: hop − (N mod hop), in [1, hop] (a full hop when N is
/// already a multiple; spec G1).
int64_t padding_for(int64_t num_samples, int64_t hop_length = 320);
/// Right-pads the last dimension of `wave` with padding_for() zeros.
torch::Tensor pad_for_encoding(const torch::Tensor& wave, int64_t hop_length = 320);

/// Every intermediate of the encode path (shapes as in the reference fixture).
struct EncodeOutput {
  torch::Tensor acoustic;       ///< [B, T, He] CodecEnc output (time-major)
  torch::Tensor semantic;       ///< [B, Cs, T] SemanticEncoder_module output
  torch::Tensor concat;         ///< [B, Cs + He, T]
  torch::Tensor fused;          ///< [B, V, T] fc_prior output
  ResidualFsqOutput quantizer;  ///< channel-last quantizer values ([B, T, ·])
  torch::Tensor codes;          ///< [B, Q, T] int32
  torch::Tensor quantized;      ///< [B, V, T]
};

/// What the training losses need.
struct XCodec2ForwardOutput {
  torch::Tensor recon;            ///< [B, 1, hop·T] reconstructed waveform
  torch::Tensor quantized;        ///< [B, V, T] quantizer output (straight-through)
  torch::Tensor codes;            ///< [B, Q, T] int32
  torch::Tensor quantizer_input;  ///< [B, T, d] project_in output (FSQ's tanh bound input)
  torch::Tensor semantic_recon;   ///< [B, S, T] SemanticDecoder_module(fc_post_s(q))
  torch::Tensor semantic_target;  ///< [B, S, T] the (detached) teacher features
  torch::Tensor vq_loss;          ///< undefined: FSQ has no commitment/codebook loss
};

class XCodec2ModelImpl : public torch::nn::Cloneable<XCodec2ModelImpl> {
 public:
  static constexpr const char* kName = "xcodec2";

  /// `with_training_heads` = false skips fc_post_s and SemanticDecoder_module (absent from the
  /// released inference checkpoint); `with_encoder` = false builds a decode-only model
  /// (no CodecEnc, SemanticEncoder_module or fc_prior: about half the weights of the full
  /// model); encode() and forward() then throw. `with_decoder` = false builds an encode-only
  /// model (the generator's quantizer alone: no backbone, head or fc_post_a); decode() and
  /// forward() then throw.
  explicit XCodec2ModelImpl(XCodec2Config config = {}, bool with_training_heads = true,
                            bool with_encoder = true, bool with_decoder = true);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;

  /// wave [B, 1, N'] (already padded, N' = hop·T), semantic_hidden [B, T, S] → codes
  /// [B, Q, T] int32. Runs under InferenceMode.
  torch::Tensor encode(const torch::Tensor& wave, const torch::Tensor& semantic_hidden);
  /// Same, returning every intermediate (no InferenceMode of its own).
  EncodeOutput encode_detailed(const torch::Tensor& wave, const torch::Tensor& semantic_hidden);
  /// codes [B, Q, T] (integer) → quantized [B, V, T] (project_out of the FSQ lattice point).
  torch::Tensor codes_to_quantized(const torch::Tensor& codes);
  /// quantized [B, V, T] → waveform [B, 1, hop·T] (fc_post_a → backbone → ISTFT head).
  torch::Tensor decode_quantized(const torch::Tensor& quantized);
  /// codes [B, Q, T] → waveform [B, 1, hop·T]. Runs under InferenceMode.
  torch::Tensor decode(const torch::Tensor& codes);
  /// Training forward (gradients flow; straight-through rounding). semantic_hidden is the
  /// teacher's hidden_states[16] [B, T, S]; wave [B, 1, hop·T].
  XCodec2ForwardOutput forward(const torch::Tensor& wave, const torch::Tensor& semantic_hidden);

  /// Folds weight norm and caches Snake/ISTFT constants (inference). Call again after loading.
  void prepare_for_inference();
  /// Precision of the big convolutions and linear layers of the encoder, semantic encoder and
  /// decoder backbone at inference (layers/compute_precision.h); needs prepare_for_inference()
  /// and is kept across load_weights(). fc_prior, the quantizer and the ISTFT head stay fp32.
  void set_compute_precision(ComputePrecision precision);
  ComputePrecision compute_precision() const { return precision_; }
  /// Undo prepare_for_inference() (before training).
  void prepare_for_training();

  /// Loads weights by the original key names. `semantic_model.*` keys are reported as foreign
  /// (the teacher is built elsewhere); fc_post_s / SemanticDecoder_module may be absent.
  /// Re-folds when prepared for inference. Throws CheckpointError when strict and not ok().
  /// `map_weights`: parameters use the source's memory where it lends it (LoadStateOptions).
  LoadStateReport load_weights(const TensorSource& source, bool strict = true,
                               bool map_weights = false);
  LoadStateReport load_weights(const std::string& safetensors_path, bool strict = true);
  /// Writes the persistent state with metadata {format_version, model, config (YAML)}.
  void save_weights(const std::string& path) const;

  bool has_training_heads() const { return with_training_heads_; }
  bool has_encoder() const { return with_encoder_; }
  bool has_decoder() const { return with_decoder_; }
  /// The acoustic encoder's parameters (CodecEnc): training health measures the gradient norm
  /// that reaches them, which is exactly zero once the quantizer's bound saturates.
  std::vector<torch::Tensor> encoder_parameters() const {
    return CodecEnc ? CodecEnc->parameters() : std::vector<torch::Tensor>{};
  }

  XCodec2Config config;
  CodecEncoder CodecEnc{nullptr};
  CodecDecoderVocos generator{nullptr};
  torch::nn::Linear fc_prior{nullptr};
  torch::nn::Linear fc_post_a{nullptr};
  torch::nn::Linear fc_post_s{nullptr};             ///< training only
  SemanticAdapter SemanticDecoder_module{nullptr};  ///< training only
  SemanticAdapter SemanticEncoder_module{nullptr};

 private:
  bool with_training_heads_ = true;
  bool with_encoder_ = true;
  bool with_decoder_ = true;
  bool inference_prepared_ = false;
  ComputePrecision precision_ = ComputePrecision::kFloat32;
  void apply_precision(ComputePrecision precision);
};
TORCH_MODULE(XCodec2Model);

/// Opens a safetensors file: config from its metadata when present (else `fallback`), builds
/// the model (training heads only if the file has them), loads strictly, prepares for
/// inference. Throws CheckpointError / ConfigError naming the file.
XCodec2Model load_xcodec2_model(const std::string& path, const XCodec2Config& fallback = {});

}  // namespace xcodec::models
