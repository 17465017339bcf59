#pragma once
/// Residual FSQ exactly as vector-quantize-pytorch 1.17.8 `ResidualFSQ` (spec
/// quantizers-and-variants.md §1.3–1.4, xcodec2.md §6, G6, G7): project_in (Linear dim → d,
/// only when dim ≠ d), the outer `bound()` applied ONCE before the loop (the "double bound" of
/// 1.12.5–1.18.4), then per layer q: FSQ(residual / scale_q), scale_q = (L−1)^−q, and
/// project_out of the summed codes. Keys: `project_in.{weight,bias}`,
/// `project_out.{weight,bias}`; `layers.*` and `_scales` hold no persistent state.
///
/// Also a Quantizer (kind "residual_fsq"): quantize()/dequantize() are thin adapters around
/// forward()/get_output_from_indices() with a zero loss and bound_input = `projected`. It is
/// not in make_quantizer()'s registry: X-Codec-2.0 builds it from its own config.
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <vector>

#include "xcodec/models/quantizers/fsq.h"
#include "xcodec/models/quantizers/quantizer.h"

namespace xcodec::models {

struct ResidualFsqOptions {
  int64_t dim = 2048;                                   ///< input/output width
  std::vector<int64_t> levels{4, 4, 4, 4, 4, 4, 4, 4};  ///< FSQ levels per code dimension
  int64_t num_quantizers = 1;                           ///< residual layers (codes per frame)
};

/// Everything the quantiser computes for one input (all [B, T, ·], channel-last).
struct ResidualFsqOutput {
  torch::Tensor quantized;  ///< [B, T, dim] project_out(Σ codes·scale), straight-through
  torch::Tensor indices;    ///< [B, T, Q] int32
  torch::Tensor projected;  ///< [B, T, d] project_in output
  torch::Tensor bounded;    ///< [B, T, d] outer bound (what layer 0 receives)
  torch::Tensor codes;      ///< [B, T, d] Σ_q codes_q·scale_q before project_out
};

class ResidualFsqImpl : public torch::nn::Cloneable<ResidualFsqImpl>, public Quantizer {
 public:
  explicit ResidualFsqImpl(ResidualFsqOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;

  /// x [B, T, dim] → quantized, indices and intermediates.
  ResidualFsqOutput forward(const torch::Tensor& x);
  /// indices [B, T, Q] (integer; −1 = dropped layer) → [B, T, dim].
  torch::Tensor get_output_from_indices(const torch::Tensor& indices);
  /// indices [B, T, Q] → summed scaled codes [B, T, d] (before project_out).
  torch::Tensor get_codes_from_indices(const torch::Tensor& indices);

  // ---- Quantizer ----
  /// forward(x) as a QuantizerOutput: quantized, indices [B, T, Q], loss 0,
  /// bound_input = projected.
  QuantizerOutput quantize(const torch::Tensor& x) override;
  /// get_output_from_indices(indices).
  torch::Tensor dequantize(const torch::Tensor& indices) override;
  int64_t codebook_size() const override;
  int64_t num_quantizers() const override { return options.num_quantizers; }
  int64_t dim() const override { return options.dim; }
  std::string kind() const override { return "residual_fsq"; }
  std::shared_ptr<torch::nn::Module> module() override { return shared_from_this(); }

  int64_t codebook_dim() const { return static_cast<int64_t>(options.levels.size()); }
  bool has_projections() const { return options.dim != codebook_dim(); }

  ResidualFsqOptions options;
  torch::nn::Linear project_in{nullptr};   ///< dim → d (absent when dim == d)
  torch::nn::Linear project_out{nullptr};  ///< d → dim (absent when dim == d)
  torch::nn::ModuleList layers{nullptr};   ///< Q × FSQ (no parameters)

 private:
  torch::Tensor scales_;  ///< "_scales" float32 [Q, d]
};
TORCH_MODULE(ResidualFsq);

}  // namespace xcodec::models
