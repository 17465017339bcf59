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
    upsample = register_module("upsample", SubframeUpsample(options.hidden_dim, r));
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
  return head->forward(upsample ? upsample->forward(h) : h);
}

}  // namespace xcodec::models
