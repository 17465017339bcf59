#pragma once
/// SnakeBeta activation with log-scale parameters (BigVGAN; spec xcodec2.md §4.2, G8):
/// y = x + sin²(e^α·x) / (e^β + 1e-9), per channel. Keys `alpha` and `beta`, both [C].
/// The trained β must be loaded and used (never reset it to 0).
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "xcodec/models/layers/foldable.h"

namespace xcodec::models {

struct SnakeBetaOptions {
  explicit SnakeBetaOptions(int64_t channels) : channels(channels) {}
  int64_t channels;  ///< C
};

class SnakeBetaImpl : public torch::nn::Cloneable<SnakeBetaImpl>, public Foldable {
 public:
  static constexpr double kNoDivByZero = 1e-9;

  explicit SnakeBetaImpl(SnakeBetaOptions options);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;

  /// [B, C, L] → [B, C, L]
  torch::Tensor forward(const torch::Tensor& x);
  /// e^α as [1, C, 1] (cached when folded).
  torch::Tensor scale() const;
  /// 1 / (e^β + 1e-9) as [1, C, 1] (cached when folded).
  torch::Tensor inv_beta() const;

  void fold() override;
  void unfold() override { folded_ = false; }
  bool folded() const override { return folded_; }

  SnakeBetaOptions options;
  torch::Tensor alpha;  ///< [C], log scale, initialised to 0
  torch::Tensor beta;   ///< [C], log scale, initialised to 0

 private:
  bool folded_ = false;
  torch::Tensor scale_;     ///< buffer "_scale" [1, C, 1]
  torch::Tensor inv_beta_;  ///< buffer "_inv_beta" [1, C, 1]
};
TORCH_MODULE(SnakeBeta);

/// y = x + inv_beta · sin²(scale · x) with per-channel [1, C, 1] factors; uses in-place
/// arithmetic when no gradient is recorded.
torch::Tensor snake_beta(const torch::Tensor& x, const torch::Tensor& scale,
                         const torch::Tensor& inv_beta);

}  // namespace xcodec::models
