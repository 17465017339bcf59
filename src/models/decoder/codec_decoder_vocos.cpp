#include "xcodec/models/decoder/codec_decoder_vocos.h"

#include <torch/torch.h>

#include "xcodec/core/error.h"

namespace xcodec::models {

CodecDecoderVocosImpl::CodecDecoderVocosImpl(CodecDecoderVocosOptions options_)
    : options(std::move(options_)) {
  reset();
}

void CodecDecoderVocosImpl::reset() {
  ResidualFsqOptions qo;
  qo.dim = options.vq_dim;
  qo.levels = options.levels;
  qo.num_quantizers = options.vq_num_quantizers;
  quantizer = register_module("quantizer", ResidualFsq(qo));
  if (options.quantizer_only) return;
  VocosBackboneOptions bo;
  bo.hidden_dim = options.hidden_dim;
  bo.depth = options.depth;
  bo.heads = options.heads;
  bo.pos_meb_dim = options.pos_meb_dim;
  bo.dropout = options.dropout;
  backbone = register_module("backbone", VocosBackbone(bo));
  const int64_t r = options.head_upsample;
  if (r > 1) {
    // Not a ConvTranspose1d: LibTorch 1.13's CPU backward of it returned inf/NaN gradients at
    // random (uninitialised memory) in our measurements; a Linear per frame is deterministic.
    upsample =
        register_module("upsample", torch::nn::Linear(options.hidden_dim, r * options.hidden_dim));
    upsample_norm = register_module(
        "upsample_norm",
        torch::nn::LayerNorm(torch::nn::LayerNormOptions({options.hidden_dim}).eps(1e-6)));
  }
  head = register_module(
      "head", IstftHead(IstftHeadOptions(options.hidden_dim, options.n_fft(), options.head_hop())));
}

void CodecDecoderVocosImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::CodecDecoderVocos(vq_dim=" << options.vq_dim
         << ", hidden_dim=" << options.hidden_dim << ", hop=" << options.hop_length
         << ", head_upsample=" << options.head_upsample << ")";
}

ResidualFsqOutput CodecDecoderVocosImpl::quantize(const torch::Tensor& x) {
  if (x.dim() != 3 || x.size(1) != options.vq_dim) {
    throw ShapeError("CodecDecoderVocos: expected [B, " + std::to_string(options.vq_dim) +
                     ", T] for quantisation, got " + c10::str(x.sizes()));
  }
  return quantizer->forward(x.permute({0, 2, 1}));
}

torch::Tensor CodecDecoderVocosImpl::forward(const torch::Tensor& x) {
  torch::Tensor h = backbone->forward(x);
  if (upsample) {
    const int64_t b = h.size(0), t = h.size(1), c = h.size(2);
    // [B, T, r·C] → [B, T·r, C]: slice k of frame t becomes ISTFT frame t·r + k.
    h = upsample_norm->forward(
        torch::gelu(upsample->forward(h).reshape({b, t * options.head_upsample, c})));
  }
  return head->forward(h);
}

}  // namespace xcodec::models
