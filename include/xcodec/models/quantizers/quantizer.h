#pragma once
/// The quantizer seam: every quantizer a codec family can use (FSQ, residual FSQ, LFQ, EMA-VQ,
/// VQ) implements `Quantizer`, and `make_quantizer()` builds one by name from a QuantizerConfig
/// whose fields are the YAML keys of the model group (`model.quantizer`, `model.levels`, ...).
///
///   auto q = models::make_quantizer(config);        // config.kind = "fsq" | "lfq" | "ema" | "vq"
///   register_module("quantizer", q->module());      // its parameters/buffers, by name
///   QuantizerOutput out = q->quantize(z);           // z [B, T, dim] channel-last
///   loss = loss + out.loss;                         // the quantizer's own training loss
///   torch::Tensor back = q->dequantize(out.indices);  // == out.quantized in eval mode
///
/// Implementations are Cloneable modules that also derive from this interface.
#include <torch/nn/module.h>
#include <torch/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace xcodec::models {

/// What one quantizer call returns (channel-last).
struct QuantizerOutput {
  torch::Tensor quantized;  ///< [B, T, dim]; straight-through (gradient to the input) in training
  torch::Tensor indices;    ///< [B, T, Q] int32 codes in [0, codebook_size())
  /// Scalar training loss of the quantizer itself, already weighted by its own options
  /// (commitment/codebook/entropy weights); zero when it has none (FSQ).
  torch::Tensor loss;
  /// Unweighted components for logging only ("commitment", "codebook", "entropy_per_sample",
  /// "entropy_codebook", "dead_codes_replaced", ...).
  std::map<std::string, torch::Tensor> terms;
  /// For bounded (tanh) quantizers: the values entering the bound, [B, T, d], so training
  /// health can measure saturation; undefined for the others.
  torch::Tensor bound_input;
};

class Quantizer {
 public:
  virtual ~Quantizer() = default;
  /// x [B, T, dim] → quantized, indices, loss. EMA codebooks update themselves here when the
  /// module is in training mode (no optimizer involved).
  virtual QuantizerOutput quantize(const torch::Tensor& x) = 0;
  /// indices [B, T, Q] (integer) → [B, T, dim]: the quantized values decode() needs.
  virtual torch::Tensor dequantize(const torch::Tensor& indices) = 0;
  /// Codes per quantizer (all quantizers of one model share the size).
  virtual int64_t codebook_size() const = 0;
  /// Codes per frame.
  virtual int64_t num_quantizers() const = 0;
  /// Input/output width.
  virtual int64_t dim() const = 0;
  /// Registry name: "fsq", "residual_fsq", "lfq", "ema", "vq".
  virtual std::string kind() const = 0;
  /// The module holding this quantizer's parameters and buffers.
  virtual std::shared_ptr<torch::nn::Module> module() = 0;
};

/// YAML keys of a codec's model group that choose and size its quantizer. Fields a kind does
/// not use are ignored by it (and by validate()). YAML reading/writing:
/// quantizer_config_yaml.h.
struct QuantizerConfig {
  std::string kind = "fsq";  ///< `quantizer`: fsq | lfq | ema | vq (see quantizer_kinds())
  int64_t dim = 0;           ///< input/output width; set by the codec (0 = the natural width)
  std::vector<int64_t> levels{8, 8, 8, 6, 5};  ///< `levels` (fsq): 15 360 codes
  bool fsq_legacy_bound = true;     ///< `fsq_legacy_bound`: DwanCodec's tan/(1 - eps) bound (§1.4)
  int64_t codebook_size = 16384;    ///< `codebook_size` (lfq: a power of two; ema, vq)
  int64_t codebook_dim = 8;         ///< `codebook_dim`: code width of ema/vq (lfq: log2 of size)
  double commitment_weight = 0.25;  ///< `commitment_weight` (vq, ema, lfq)
  double ema_decay = 0.99;          ///< `ema_decay`
  double ema_eps = 1e-5;            ///< `ema_eps` (Laplace smoothing)
  double dead_code_threshold = 2.0;  ///< `dead_code_threshold` (ema, vq): 0 = never replace
  double entropy_weight = 0.1;       ///< `entropy_weight` (lfq)
  double diversity_gamma = 1.0;      ///< `diversity_gamma` (lfq)
  double inv_temperature = 100.0;    ///< `inv_temperature` (lfq)

  /// Throws ConfigError naming the offending key as `<path>.<key>`: an unknown kind; fsq levels
  /// empty, < 2 or with a product > 2^31; lfq codebook_size not a power of two in [2, 2^16];
  /// ema/vq codebook_size or codebook_dim < 1; negative weights, eps or threshold;
  /// inv_temperature ≤ 0; ema_decay outside (0, 1); dim < 0. Checks only the fields the kind uses.
  void validate(const std::string& path = "model") const;
};

/// Builds the quantizer named by config.kind (after config.validate()), with width config.dim or,
/// when that is 0, natural_quantizer_dim(config). An unknown kind is a ConfigError
/// "model.quantizer=<x>: unknown quantizer; known: fsq, lfq, ema, vq". The result is in training
/// mode, on the CPU, in float32, like any new module.
std::shared_ptr<Quantizer> make_quantizer(const QuantizerConfig& config);
/// Registered kinds in table order: fsq, lfq, ema, vq. ("residual_fsq" implements Quantizer
/// but is built by X-Codec-2.0 itself from its own config, so it is not registered here.)
std::vector<std::string> quantizer_kinds();

/// Width the codec's encoder must produce for this quantizer when config.dim is 0: fsq
/// len(levels), lfq log2(codebook_size), ema/vq codebook_dim.
int64_t natural_quantizer_dim(const QuantizerConfig& config);

}  // namespace xcodec::models
