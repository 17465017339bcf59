#pragma once
/// Classic nearest-neighbour vector quantisation with a learned codebook, in two flavours
/// (spec quantizers-and-variants.md §3.1–3.2):
///
/// - registry kind "vq" (`ema = false`): the codebook `embed` is a Parameter trained by the
///   codebook loss mse(z_q, sg(z_e)); loss = codebook + commitment_weight·mse(z_e, sg(z_q)).
/// - registry kind "ema" (`ema = true`): `embed` is a buffer updated by exponential moving
///   averages (decay `ema_decay`, Laplace smoothing `ema_eps`) in training mode, under NoGrad;
///   loss = commitment_weight·mse(z_e, sg(z_q)) only.
///
/// Both: output STE(z_e, z_q) (gradient = identity to the input); indices [B, T, 1] int32;
/// the loss is computed in training mode only (0 in eval; the terms are still reported).
///
/// Dead codes (lucidrains `EuclideanCodebook.expire_codes_`): after each training update, codes
/// whose `cluster_size` is below `dead_code_threshold` get a random vector of the current batch
/// (without replacement when the batch has enough vectors), `cluster_size` = threshold and
/// (ema) `embed_avg` = embed·threshold. For "vq" `cluster_size` is an EMA of the per-batch usage
/// counts with the same decay — our addition, the original VQ has no dead-code logic.
///
/// Initialisation: `embed` starts kaiming-uniform (so an untrained module still runs), and the
/// first training batch re-initialises every code from random batch vectors (as a replacement of
/// all codes: cluster_size = dead_code_threshold, or 1 when that is 0, and embed_avg =
/// embed·cluster_size), after which `initted` is 1. This puts the codes in the range of the
/// encoder's output, which kaiming-uniform does not (the reason lucidrains offers kmeans_init).
///
/// Keys: `embed` [K, D] (vq: parameter, ema: buffer), `cluster_size` [K], `embed_avg` [K, D]
/// (ema only), `initted` [1] (all persistent; lucidrains names without the heads axis),
/// `project_in.*`, `project_out.*` (only when dim ≠ codebook_dim).
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "xcodec/models/quantizers/quantizer.h"

namespace xcodec::models {

struct VectorQuantizerOptions {
  int64_t dim = 8;                   ///< input/output width
  int64_t codebook_size = 1024;      ///< K codes
  int64_t codebook_dim = 8;          ///< D: code width (project_in/out when ≠ dim)
  bool ema = true;                   ///< true: EMA codebook ("ema"); false: learned ("vq")
  double commitment_weight = 0.25;   ///< β of the commitment term
  double decay = 0.99;               ///< EMA decay of cluster_size / embed_avg, in (0, 1)
  double eps = 1e-5;                 ///< Laplace smoothing of the EMA cluster sizes
  double dead_code_threshold = 2.0;  ///< replace codes with cluster_size below it; 0 = never
};

class VectorQuantizerImpl : public torch::nn::Cloneable<VectorQuantizerImpl>, public Quantizer {
 public:
  explicit VectorQuantizerImpl(VectorQuantizerOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;

  /// x [B, T, dim] → quantized [B, T, dim], indices [B, T, 1] int32, loss. terms:
  /// "commitment", "codebook" (vq), "perplexity" (of this batch's code usage) and, in training,
  /// "dead_codes_replaced" (count).
  QuantizerOutput quantize(const torch::Tensor& x) override;
  /// indices [B, T, 1] → [B, T, dim].
  torch::Tensor dequantize(const torch::Tensor& indices) override;
  int64_t codebook_size() const override { return options.codebook_size; }
  int64_t num_quantizers() const override { return 1; }
  int64_t dim() const override { return options.dim; }
  std::string kind() const override { return options.ema ? "ema" : "vq"; }
  std::shared_ptr<torch::nn::Module> module() override { return shared_from_this(); }

  bool has_projections() const { return options.dim != options.codebook_dim; }

  VectorQuantizerOptions options;
  torch::nn::Linear project_in{nullptr};   ///< dim → D (absent when dim == D)
  torch::nn::Linear project_out{nullptr};  ///< D → dim (absent when dim == D)
  torch::Tensor embed;                     ///< "embed" [K, D] float32 (vq: parameter; ema: buffer)
  torch::Tensor cluster_size;              ///< "cluster_size" [K] EMA of code usage counts
  torch::Tensor embed_avg;  ///< "embed_avg" [K, D] EMA of summed assigned vectors (ema only)
  torch::Tensor initted;    ///< "initted" [1]: 1 once the first training batch set the codes

 private:
  /// Re-initialises the codes where `which` [K] is true from random rows of z [N, D], setting
  /// their cluster_size to `size` and (ema) embed_avg = embed·size. Under NoGrad.
  void replace_codes(const torch::Tensor& z, const torch::Tensor& which, double size);
  /// EMA statistics (and for ema the codebook) from one batch z [N, D] with codes idx [N].
  void update_statistics(const torch::Tensor& z, const torch::Tensor& idx);
  /// Dead-code replacement from z [N, D]; returns how many codes were replaced.
  int64_t expire_codes(const torch::Tensor& z);
};
TORCH_MODULE(VectorQuantizer);

}  // namespace xcodec::models
