#pragma once
/// FSQ behind the Quantizer interface (registry kind "fsq"): one FSQ codebook with optional
/// project_in (Linear dim → d) and project_out (Linear d → dim), present only when dim ≠ d =
/// len(levels), as vector-quantize-pytorch `FSQ(levels, dim)` (spec quantizers-and-variants.md
/// §1.2). DwanCodec uses levels [8, 8, 8, 6, 5], dim 5 (no projections) and the legacy bound
/// (§1.4, §5.2). No loss (a zero scalar); indices [B, T, 1] int32 with dimension 0 least
/// significant. Keys: `project_in.{weight,bias}`, `project_out.{weight,bias}`; `fsq._*` buffers
/// are non-persistent.
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <vector>

#include "xcodec/models/quantizers/fsq.h"
#include "xcodec/models/quantizers/quantizer.h"

namespace xcodec::models {

struct FsqQuantizerOptions {
  int64_t dim = 5;                             ///< input/output width
  std::vector<int64_t> levels{8, 8, 8, 6, 5};  ///< levels per code dimension (≥ 2 each)
  bool legacy_bound = false;                   ///< tan/(1 − eps) bound of < 1.12.4 (DwanCodec)
};

class FsqQuantizerImpl : public torch::nn::Cloneable<FsqQuantizerImpl>, public Quantizer {
 public:
  explicit FsqQuantizerImpl(FsqQuantizerOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;

  /// x [B, T, dim] → quantized [B, T, dim] (straight-through round), indices [B, T, 1] int32,
  /// loss 0, bound_input = the values entering the bound ([B, T, d], after project_in).
  QuantizerOutput quantize(const torch::Tensor& x) override;
  /// indices [B, T, 1] → [B, T, dim].
  torch::Tensor dequantize(const torch::Tensor& indices) override;
  int64_t codebook_size() const override { return fsq->codebook_size(); }
  int64_t num_quantizers() const override { return 1; }
  int64_t dim() const override { return options.dim; }
  std::string kind() const override { return "fsq"; }
  std::shared_ptr<torch::nn::Module> module() override { return shared_from_this(); }

  int64_t codebook_dim() const { return static_cast<int64_t>(options.levels.size()); }
  bool has_projections() const { return options.dim != codebook_dim(); }

  FsqQuantizerOptions options;
  Fsq fsq{nullptr};                        ///< the scalar quantiser (no parameters)
  torch::nn::Linear project_in{nullptr};   ///< dim → d (absent when dim == d)
  torch::nn::Linear project_out{nullptr};  ///< d → dim (absent when dim == d)
};
TORCH_MODULE(FsqQuantizer);

}  // namespace xcodec::models
