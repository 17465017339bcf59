#pragma once
/// DwanCodec's decoder (`models/decoder.py`; spec quantizers-and-variants.md §5.2, §5.5):
/// a Vocos ConvNeXt backbone and an ISTFT head in **centre** mode.
///
///   backbone (`decoder`): embed Conv1d(in → dim, k1) → LayerNorm(1e-6) → N ConvNeXt blocks
///            (dw k, intermediate I, gamma init layer_scale) → final_layer_norm (1e-6)
///   head (`head`): out Linear(dim → n_fft + 2); mag = min(exp(P[:n_fft/2+1]), 100);
///            φ = P[n_fft/2+1:]; S = mag·(cos φ + i sin φ) with the DC and Nyquist bins set to
///            0; torch.istft(S, n_fft, hop, window = periodic Hann(n_fft), center = true).
/// [B, in, T] → [B, 1, (T − 1)·hop]: one hop shorter than T·hop, as the original.
/// Keys: `decoder.{embed,norm,convnext.{j}.*,final_layer_norm}`, `head.out`, `head.istft.window`.
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "xcodec/models/layers/subframe_upsample.h"

namespace xcodec::models {

struct DwanBackboneOptions {
  int64_t in_dim = 5;                        ///< latent width (embed input)
  int64_t dim = 768;                         ///< backbone width
  int64_t intermediate = 2304;               ///< ConvNeXt hidden width
  int64_t layers = 8;                        ///< ConvNeXt blocks
  int64_t dw_kernel = 3;                     ///< depthwise taps (odd)
  double layer_scale = 0.35355339059327373;  ///< gamma init (1/sqrt(8) for the original)
};

/// Vocos backbone with a k1 embed and no AdaLayerNorm. Trunc-normal(0.02) init, zero biases.
class DwanBackboneImpl : public torch::nn::Cloneable<DwanBackboneImpl> {
 public:
  explicit DwanBackboneImpl(DwanBackboneOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// [B, in_dim, T] → [B, T, dim] (channel-last, what the head takes)
  torch::Tensor forward(const torch::Tensor& x);

  DwanBackboneOptions options;
  torch::nn::Conv1d embed{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::ModuleList convnext{nullptr};
  torch::nn::LayerNorm final_layer_norm{nullptr};
};
TORCH_MODULE(DwanBackbone);

/// Centre-mode inverse STFT (torch.istft, center = true) that zeroes the DC and Nyquist bins
/// first, as the original's ISTFT(padding = "center"). Key: `window` (persistent buffer).
class CenterIstftImpl : public torch::nn::Cloneable<CenterIstftImpl> {
 public:
  CenterIstftImpl(int64_t n_fft, int64_t hop_length);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// spec complex [B, n_fft/2 + 1, T] → [B, (T − 1)·hop]
  torch::Tensor forward(const torch::Tensor& spec);

  int64_t n_fft;
  int64_t hop_length;
  torch::Tensor window;  ///< [n_fft] periodic Hann
};
TORCH_MODULE(CenterIstft);

/// Intermediate values of the head (for tests).
struct DwanHeadOutput {
  torch::Tensor audio;  ///< [B, 1, (T − 1)·hop]
  torch::Tensor spec;   ///< complex [B, n_fft/2 + 1, T] after DC/Nyquist zeroing
};

/// Vocos ISTFT head in centre mode. `out` keeps PyTorch's default Linear init (the original's
/// `_init_weights` covers the backbone only).
class DwanIstftHeadImpl : public torch::nn::Cloneable<DwanIstftHeadImpl> {
 public:
  DwanIstftHeadImpl(int64_t dim, int64_t n_fft, int64_t hop_length);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// x [B, T, dim] → audio [B, 1, (T − 1)·hop]
  torch::Tensor forward(const torch::Tensor& x);
  DwanHeadOutput forward_detailed(const torch::Tensor& x);

  int64_t dim;
  int64_t n_fft;
  int64_t hop_length;
  double mag_max = 100.0;  ///< clip of exp(log-magnitude)
  torch::nn::Linear out{nullptr};
  CenterIstft istft{nullptr};
};
TORCH_MODULE(DwanIstftHead);

struct DwanDecoderOptions {
  DwanBackboneOptions backbone;
  int64_t n_fft = 1024;       ///< samples
  int64_t hop = 512;          ///< samples
  int64_t head_upsample = 1;  ///< ISTFT frames per token (DwanConfig::head_upsample)
};

/// The original's `Decoder`: `decoder` (backbone) + `head`.
class DwanDecoderImpl : public torch::nn::Cloneable<DwanDecoderImpl> {
 public:
  explicit DwanDecoderImpl(DwanDecoderOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// latent [B, in_dim, T] → audio [B, 1, (T − 1)·hop]
  torch::Tensor forward(const torch::Tensor& x);

  DwanDecoderOptions options;
  DwanBackbone decoder{nullptr};
  SubframeUpsample upsample{nullptr};  ///< only when head_upsample > 1
  DwanIstftHead head{nullptr};
};
TORCH_MODULE(DwanDecoder);

}  // namespace xcodec::models
