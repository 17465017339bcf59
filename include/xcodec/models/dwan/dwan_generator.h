#pragma once
/// DwanCodec's generator, the original's `VQVAE` (spec quantizers-and-variants.md §5.2):
/// `enc` (ConvNeXt encoder) → `quantize_t` (make_quantizer(), fsq by default) → `dec` (Vocos
/// backbone + centre ISTFT head). Registration names are the original `model_g_state_dict`
/// keys, so that state dict loads by name; the default (fsq [8,8,8,6,5]) has 52,998,535
/// parameters (encoder 23,822,725, decoder 29,175,810) and one buffer, `dec.head.istft.window`.
///
///   DwanGenerator g(DwanConfig{});
///   auto z = g->encode_latent(wave);            // [B, 1, L] → [B, T, 5], T = floor(L / 512)
///   auto q = g->quantizer->quantize(z);         // indices [B, T, 1]
///   auto audio = g->decode_latent(q.quantized); // [B, 1, (T − 1)·512]
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <memory>

#include "xcodec/models/dwan/dwan_config.h"
#include "xcodec/models/dwan/dwan_decoder.h"
#include "xcodec/models/dwan/dwan_encoder.h"
#include "xcodec/models/quantizers/quantizer.h"

namespace xcodec::models {

class DwanGeneratorImpl : public torch::nn::Cloneable<DwanGeneratorImpl> {
 public:
  explicit DwanGeneratorImpl(DwanConfig config = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;

  /// wave [B, 1, L] → latent [B, floor(L / hop), embed_dim] (channel-last)
  torch::Tensor encode_latent(const torch::Tensor& wave);
  /// quantized latent [B, T, embed_dim] → audio [B, 1, (T − 1)·hop]
  torch::Tensor decode_latent(const torch::Tensor& latent);
  /// codes [B, Q, T] (integer) → audio [B, 1, (T − 1)·hop]
  torch::Tensor decode_codes(const torch::Tensor& codes);

  DwanConfig config;
  DwanEncoder enc{nullptr};
  std::shared_ptr<Quantizer> quantizer;  ///< registered as `quantize_t`
  DwanDecoder dec{nullptr};
};
TORCH_MODULE(DwanGenerator);

}  // namespace xcodec::models
