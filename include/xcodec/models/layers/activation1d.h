#pragma once
/// Anti-aliased activation (BigVGAN `Activation1d`; spec xcodec2.md §4.3): 2x upsample →
/// SnakeBeta → 2x low-pass downsample, per channel. Keys: `act.alpha`, `act.beta`,
/// `upsample.filter`, `downsample.lowpass.filter`.
///
/// `forward` uses an equivalent polyphase formulation that never materialises the 2x signal
/// as one interleaved tensor: the upsampler's even and odd output phases and the downsampler's
/// two phase contributions are 7-tap depthwise convolutions (see activation1d.cpp). Without
/// grad mode on float32 or bf16 CPU tensors, a fused kernel computes the same in one pass per
/// row (float32 arithmetic).
/// `forward_reference` runs the literal original ops.
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "xcodec/models/layers/foldable.h"
#include "xcodec/models/layers/resample1d.h"
#include "xcodec/models/layers/snake_beta.h"

namespace xcodec::models {

struct Activation1dOptions {
  explicit Activation1dOptions(int64_t channels) : channels(channels) {}
  int64_t channels;  ///< C
  /// Without gradient recording, time is processed in chunks of about this many C·L
  /// elements so that the 2x-rate temporaries stay in cache (0 = never chunk). The result
  /// does not depend on it.
  int64_t chunk_elements = 1 << 17;
};

class Activation1dImpl : public torch::nn::Cloneable<Activation1dImpl>, public Foldable {
 public:
  static constexpr int64_t kRatio = 2;        ///< fixed in the original
  static constexpr int64_t kKernelSize = 12;  ///< filter taps

  explicit Activation1dImpl(Activation1dOptions options);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;

  /// [B, C, L] → [B, C, L]: forward_fused when it applies, else forward_polyphase.
  torch::Tensor forward(const torch::Tensor& x);
  /// forward(x) converted to `dtype`. The fused kernel writes bf16 itself (rounded as
  /// `.to(kBFloat16)` rounds), so a bf16 convolution next saves a conversion pass.
  torch::Tensor forward_as(const torch::Tensor& x, torch::ScalarType dtype);
  /// Polyphase formulation with LibTorch ops (autograd, any dtype and device).
  torch::Tensor forward_polyphase(const torch::Tensor& x);
  /// Fused CPU kernel (kernels::snake_anti_alias_rows), parallel over rows and time pieces.
  /// Only without grad mode, with float32 or bf16 CPU input and float32 parameters
  /// (ShapeError else); float32 arithmetic, output in `dtype` (default: x's).
  torch::Tensor forward_fused(const torch::Tensor& x,
                              c10::optional<torch::ScalarType> dtype = c10::nullopt);
  /// Same result through the literal upsample → act → downsample modules.
  torch::Tensor forward_reference(const torch::Tensor& x);

  void fold() override;
  void unfold() override {
    folded_ = false;
    act->unfold();
  }
  bool folded() const override { return folded_; }

  Activation1dOptions options;
  SnakeBeta act{nullptr};
  UpSample1d upsample{nullptr};
  DownSample1d downsample{nullptr};

 private:
  struct Polyphase {
    torch::Tensor up_weight;    ///< [2C, 1, 7]: even-phase taps (C rows), odd-phase taps
    torch::Tensor down_weight;  ///< [2C, 1, 7]: taps on the even phase, on the odd phase
    torch::Tensor scale;        ///< [1, 2C, 1]
    torch::Tensor inv_beta;     ///< [1, 2C, 1]
  };
  Polyphase polyphase() const;
  void check_input(const torch::Tensor& x) const;
  bool fused_applies(const torch::Tensor& x) const;
  /// Output samples [i0, i1) of the fast path (halo and edge padding handled).
  torch::Tensor forward_span(const torch::Tensor& x, const Polyphase& p, int64_t i0,
                             int64_t i1) const;
  bool folded_ = false;
  Polyphase cache_;  ///< buffers "_up_weight", "_down_weight", "_scale2", "_inv_beta2"
};
TORCH_MODULE(Activation1d);

}  // namespace xcodec::models
