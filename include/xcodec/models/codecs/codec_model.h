#pragma once
/// The codec-family seam. Every family (X-Codec-2.0, DwanCodec, ...) implements `CodecModel`
/// and registers itself in codec_registry.h; the trainer, the inference facade, export and the
/// CLI use only this interface, never a family's name.
///
///   auto codec = models::build_codec(model_yaml, {.device = device, .training = true});
///   CodecTrainOutput out = codec->forward_train(wave, {});   // wave [B, 1, L]
///   loss = mel(out.recon, out.target) + Σ λ_k · out.losses[k];
///   torch::Tensor codes = codec->encode(pad(wave));           // [B, Q, T] int32
///   torch::Tensor audio = codec->decode(codes);               // [B, 1, L']
#include <torch/nn/module.h>
#include <torch/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "xcodec/models/layers/compute_precision.h"

namespace xcodec::models {

/// Metadata keys of inference files (every family writes them).
inline constexpr const char* kMetaFormatVersion = "xcodec.format_version";
inline constexpr const char* kMetaModel = "xcodec.model";    ///< the family name
inline constexpr const char* kMetaConfig = "xcodec.config";  ///< the model config (YAML)
inline constexpr const char* kFormatVersion = "1";

/// What a codec is, as users and files see it.
struct CodecInfo {
  std::string name;            ///< registry name ("xcodec2", "dwan")
  int64_t sample_rate = 0;     ///< Hz
  int64_t hop_length = 0;      ///< input samples per frame
  int64_t num_quantizers = 1;  ///< codes per frame
  int64_t codebook_size = 0;   ///< codes per quantizer
  std::string quantizer;       ///< quantizer kind ("fsq", "lfq", ...)
  double frame_rate() const {
    return static_cast<double>(sample_rate) / static_cast<double>(hop_length);
  }
};

/// The training forward's results.
struct CodecTrainOutput {
  torch::Tensor recon;   ///< [B, 1, L'] reconstruction (with gradient)
  torch::Tensor target;  ///< [B, 1, L'] the input it is scored against (cut to recon's length)
  torch::Tensor codes;   ///< [B, Q, T] int32
  /// Named auxiliary losses, unweighted by train.lambdas (which weight them by name):
  /// "semantic" (X-Codec-2.0's teacher reconstruction), "codebook" (the quantizer's own loss).
  std::map<std::string, torch::Tensor> losses;
  /// Logged only (e.g. "quantizer/entropy_codebook").
  std::map<std::string, torch::Tensor> diagnostics;
  /// Values entering a bounded quantizer ([B, T, d]) for the saturation measure; may be undefined.
  torch::Tensor bound_input;
};

/// A per-frame conditioning a family can read from a feature cache (`xcodec features`)
/// instead of computing it (X-Codec-2.0: the w2v-BERT teacher's hidden states).
struct FeatureCacheSpec {
  int64_t layer = 0;  ///< teacher layer the cache must hold
  int64_t width = 0;  ///< feature width
};

class CodecModel {
 public:
  virtual ~CodecModel() = default;

  virtual CodecInfo info() const = 0;
  /// The parameters and buffers (checkpoint keys are its named_parameters/buffers).
  virtual torch::nn::Module& module() = 0;
  const torch::nn::Module& module() const { return const_cast<CodecModel*>(this)->module(); }
  /// The model config as YAML text (with its `name:` key), for file metadata.
  virtual std::string config_yaml() const = 0;
  /// Moves the model (and anything it owns, e.g. a teacher) to `device`.
  virtual void to(const torch::Device& device) = 0;

  // ---- inference ----
  /// Samples encode() takes for an input of n samples (zeros appended at the end).
  virtual int64_t padded_length(int64_t n) const = 0;
  /// wave [B, 1, padded_length(N)] → codes [B, Q, T] int32. No gradient.
  virtual torch::Tensor encode(const torch::Tensor& wave) = 0;
  /// codes [B, Q, T] → wave [B, 1, L']; for codes of encode(), L' ≥ the input's N (the caller
  /// trims), and sample i of the output is aligned with input sample i. No gradient.
  virtual torch::Tensor decode(const torch::Tensor& codes) = 0;
  /// Output samples decode() gives for `frames` frames.
  virtual int64_t decoded_length(int64_t frames) const = 0;
  /// Whether encode() can run (e.g. X-Codec-2.0 needs its teacher), and why not.
  virtual bool can_encode() const { return true; }
  virtual std::string cannot_encode_reason() const { return {}; }
  /// Inference preparation (weight-norm folding, caches); undone by prepare_for_training().
  virtual void prepare_for_inference() {}
  virtual void prepare_for_training() {}
  /// Precision of the heavy layers at inference (after prepare_for_inference()).
  virtual void set_compute_precision(ComputePrecision precision) { (void)precision; }

  // ---- training ----
  /// wave [B, 1, L] (a training crop; L a multiple of the hop) → reconstruction, codes and
  /// auxiliary losses. `features`: the cached conditioning of feature_cache() ([B, T, width]),
  /// or undefined to compute it.
  virtual CodecTrainOutput forward_train(const torch::Tensor& wave,
                                         const torch::Tensor& features) = 0;
  /// Names of the auxiliary losses forward_train() can return (train.lambdas keys).
  virtual std::vector<std::string> loss_names() const = 0;
  /// The cacheable conditioning, if the family has one.
  virtual std::optional<FeatureCacheSpec> feature_cache() const { return std::nullopt; }
  /// Parameters of the encoder proper (training health watches the gradient reaching them).
  virtual std::vector<torch::Tensor> encoder_parameters() = 0;

  // ---- files ----
  /// Loads weights from an inference file (an export or a released checkpoint), strictly.
  virtual void load_weights(const std::string& path) = 0;
  /// Writes an inference file: weights under the family's key names and metadata
  /// {xcodec.format_version, xcodec.model = info().name, xcodec.config = config_yaml(), ...}
  /// so that load_codec() needs nothing else. `extra` metadata is added (e.g. a model card).
  virtual void save_inference_file(const std::string& path,
                                   const std::map<std::string, std::string>& extra = {}) = 0;
};

}  // namespace xcodec::models
