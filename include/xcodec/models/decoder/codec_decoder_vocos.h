#pragma once
/// `generator` of X-Codec-2.0 (class CodecDecoderVocos; spec xcodec2.md §6–7): the ResidualFSQ
/// quantizer, the Vocos backbone and the "same"-padded ISTFT head (n_fft = 4·hop).
/// Keys: `quantizer.project_{in,out}.*`, `backbone.*`, `head.out.*`, `head.istft.window`.
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <vector>

#include "xcodec/models/decoder/vocos_backbone.h"
#include "xcodec/models/layers/istft_head.h"
#include "xcodec/models/layers/subframe_upsample.h"
#include "xcodec/models/quantizers/residual_fsq.h"

namespace xcodec::models {

/// YAML group `codec_decoder` (field names = keys of the original config/model/default.yaml;
/// the original's unused keys are listed in xcodec2_config.cpp and ignored).
struct CodecDecoderVocosOptions {
  int64_t hidden_dim = 1024;                            ///< backbone width, channels
  int64_t depth = 12;                                   ///< transformer blocks
  int64_t heads = 16;                                   ///< attention heads
  int64_t pos_meb_dim = 64;                             ///< RoPE width = hidden_dim / heads
  int64_t hop_length = 320;                             ///< samples per frame; n_fft = 4·hop
  int64_t vq_dim = 2048;                                ///< quantizer input/output width
  int64_t vq_num_quantizers = 1;                        ///< residual FSQ layers
  std::vector<int64_t> levels{4, 4, 4, 4, 4, 4, 4, 4};  ///< FSQ levels (hard-coded originally)
  /// Not in the original (1 = its layout): ISTFT frames per token. With r > 1 the backbone output
  /// goes through a SubframeUpsample (key `upsample.*`) and the head runs at hop_length / r (+0.02
  /// held-out STOI at equal steps for model=xcodec2-cpu; models/README.md).
  int64_t head_upsample = 1;
  double dropout = 0.1;  ///< backbone ResnetBlock dropout while training (the original's 0.1)
  /// Build only the quantizer (an encode-only model: no backbone or head, not a YAML key).
  bool quantizer_only = false;

  int64_t head_hop() const { return hop_length / head_upsample; }
  int64_t n_fft() const { return 4 * head_hop(); }
};

class CodecDecoderVocosImpl : public torch::nn::Cloneable<CodecDecoderVocosImpl> {
 public:
  explicit CodecDecoderVocosImpl(CodecDecoderVocosOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;

  /// vq=True path: x [B, vq_dim, T] → quantizer output (channel-last inside).
  ResidualFsqOutput quantize(const torch::Tensor& x);
  /// vq=False path: x [B, T, hidden_dim] → audio [B, 1, hop·T].
  torch::Tensor forward(const torch::Tensor& x);

  CodecDecoderVocosOptions options;
  ResidualFsq quantizer{nullptr};
  VocosBackbone backbone{nullptr};
  SubframeUpsample upsample{nullptr};  ///< only when head_upsample > 1
  IstftHead head{nullptr};
};
TORCH_MODULE(CodecDecoderVocos);

}  // namespace xcodec::models
