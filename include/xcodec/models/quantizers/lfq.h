#pragma once
/// Lookup-free quantisation (MAGVIT-v2), the CURRENT (≥ 1.11.8) semantics of
/// vector-quantize-pytorch `LFQ` (spec quantizers-and-variants.md §2; registry kind "lfq").
///
/// With d = log2(codebook_size) and scale s: q_i = +s if x_i > 0 else −s (x == 0 is bit 0,
/// Gotcha 9); index = Σ_i [x_i > 0]·2^(d−1−i), dimension 0 the MOST significant bit (Gotcha 4).
/// Training output is x + sg(q − x) (gradient = identity), eval output is q. Training loss:
///
///   entropy_weight · (per_sample_entropy − diversity_gamma · codebook_entropy)
///     + commitment_weight · mse(x, sg(q))
///
/// with p_n = softmax_k(−inv_temperature·||x_n − c_k||²) over all K codes, H(p) =
/// −Σ_k p_k log(max(p_k, 1e-5)), per_sample_entropy = mean_n H(p_n) and codebook_entropy =
/// H(mean_n p_n) over all tokens of the batch. Memory: the entropies need K = 2^d probabilities
/// per token. They are computed in chunks of tokens (≤ 2^22 probabilities at a time) by a custom
/// autograd function that recomputes the chunks in backward, so memory is O(chunk·K), not
/// O(tokens·K), also when training. Keys: `mask` (int64 [d], persistent as in the original),
/// `project_in.*`, `project_out.*` (only when dim ≠ d).
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <utility>

#include "xcodec/models/quantizers/quantizer.h"

namespace xcodec::models {

struct LfqOptions {
  int64_t dim = 14;                ///< input/output width
  int64_t codebook_size = 16384;   ///< 2^d codes, a power of two in [2, 2^16]
  double entropy_weight = 0.1;     ///< weight of the entropy term (≥ 1.11.8 default)
  double commitment_weight = 0.0;  ///< weight of mse(x, sg(q)) (≥ 1.11.8 default 0)
  double diversity_gamma = 1.0;    ///< weight of the codebook entropy inside the entropy term
  double inv_temperature = 100.0;  ///< softmax sharpness of the code probabilities
  double codebook_scale = 1.0;     ///< s: codes are ±s
};

/// The two entropy terms of LFQ for tokens x [N, d] (float32) and codes [K, d]:
/// {per_sample_entropy (scalar), mean probability over tokens [K]}. Chunked over tokens, and
/// differentiable with respect to x (the backward recomputes each chunk). Exposed for tests.
std::pair<torch::Tensor, torch::Tensor> lfq_entropy_terms(const torch::Tensor& x,
                                                          const torch::Tensor& codebook,
                                                          double inv_temperature,
                                                          int64_t chunk_tokens = 0);

class LfqImpl : public torch::nn::Cloneable<LfqImpl>, public Quantizer {
 public:
  explicit LfqImpl(LfqOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;

  /// x [B, T, dim] → quantized [B, T, dim], indices [B, T, 1] int32, loss (training only;
  /// 0 in eval). terms: "commitment" always; "entropy_per_sample", "entropy_codebook" in training.
  QuantizerOutput quantize(const torch::Tensor& x) override;
  /// indices [B, T, 1] → [B, T, dim].
  torch::Tensor dequantize(const torch::Tensor& indices) override;
  int64_t codebook_size() const override { return options.codebook_size; }
  int64_t num_quantizers() const override { return 1; }
  int64_t dim() const override { return options.dim; }
  std::string kind() const override { return "lfq"; }
  std::shared_ptr<torch::nn::Module> module() override { return shared_from_this(); }

  /// d = log2(codebook_size).
  int64_t codebook_dim() const { return codebook_dim_; }
  bool has_projections() const { return options.dim != codebook_dim_; }
  /// Integer indices [...] → codes [..., d] (float32, ±s), before project_out.
  torch::Tensor indices_to_codes(const torch::Tensor& indices) const;
  /// All K codes [K, d] in index order (the implicit codebook).
  torch::Tensor codebook() const;

  LfqOptions options;
  torch::nn::Linear project_in{nullptr};   ///< dim → d (absent when dim == d)
  torch::nn::Linear project_out{nullptr};  ///< d → dim (absent when dim == d)
  torch::Tensor mask;                      ///< "mask" int64 [d] = 2^(d−1 … 0), persistent

 private:
  int64_t codebook_dim_ = 0;
};
TORCH_MODULE(Lfq);

}  // namespace xcodec::models
