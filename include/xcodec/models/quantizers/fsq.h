#pragma once
/// Finite scalar quantisation, exactly as vector-quantize-pytorch 1.17.8 `FSQ` (spec
/// quantizers-and-variants.md §1.2, xcodec2.md §6): bound with eps 1e-3 and the atanh shift,
/// straight-through round (half to even), codes = round(bound(z)) / (L // 2), index =
/// Σ_d level_d · basis_d with dimension 0 least significant, int32. No parameters; `_levels`,
/// `_basis` and the bound constants are non-persistent buffers.
///
/// `legacy_bound` selects the bound of vector-quantize-pytorch < 1.12.4 that DwanCodec and
/// duchenzhuang/FSQ-pytorch copied (spec §1.4 first row, Gotcha 3): half_l = (L−1)(1−eps)/2 and
/// shift = tan(offset / half_l), so bound(0) ≠ 0 (−1.4e-5 for L = 8). Everything else is equal.
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <vector>

namespace xcodec::models {

struct FsqOptions {
  std::vector<int64_t> levels{4, 4, 4, 4, 4, 4, 4, 4};  ///< levels per dimension (≥ 2)
  double eps = 1e-3;                                    ///< bound margin (1.12.12+)
  /// false: atanh shift, (1 + eps) (≥ 1.12.12, X-Codec-2.0); true: tan shift, (1 − eps)
  /// (< 1.12.4, DwanCodec).
  bool legacy_bound = false;
};

/// Result of quantising [..., d] values.
struct FsqResult {
  torch::Tensor codes;    ///< [..., d] normalised codes (e.g. {-1, -0.5, 0, 0.5} for L = 4)
  torch::Tensor indices;  ///< [...] int32 in [0, prod(levels))
};

class FsqImpl : public torch::nn::Cloneable<FsqImpl> {
 public:
  explicit FsqImpl(FsqOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;

  /// tanh(z + shift)·half_l − offset, per dimension. [..., d] → [..., d]
  torch::Tensor bound(const torch::Tensor& z) const;
  /// Straight-through round(bound(z)) / half_width. [..., d] → [..., d]
  torch::Tensor quantize(const torch::Tensor& z) const;
  /// Normalised codes [..., d] → int32 indices [...].
  torch::Tensor codes_to_indices(const torch::Tensor& codes) const;
  /// Integer indices [...] → normalised codes [..., d] (float32).
  torch::Tensor indices_to_codes(const torch::Tensor& indices) const;
  /// quantize + codes_to_indices; non-float32/64 inputs are quantised in float32 and the codes
  /// cast back, as the original forces float32 here.
  FsqResult forward(const torch::Tensor& z);

  int64_t codebook_dim() const { return static_cast<int64_t>(options.levels.size()); }
  int64_t codebook_size() const;

  FsqOptions options;

 private:
  torch::Tensor levels_;      ///< "_levels" int32 [d]
  torch::Tensor basis_;       ///< "_basis" int32 [d]
  torch::Tensor half_l_;      ///< "_half_l" float32 [d]
  torch::Tensor offset_;      ///< "_offset" float32 [d]
  torch::Tensor shift_;       ///< "_shift" float32 [d]
  torch::Tensor half_width_;  ///< "_half_width" int32 [d]
};
TORCH_MODULE(Fsq);

}  // namespace xcodec::models
