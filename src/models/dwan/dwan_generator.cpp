#include "xcodec/models/dwan/dwan_generator.h"

#include <torch/torch.h>

#include "xcodec/core/error.h"

namespace xcodec::models {

DwanGeneratorImpl::DwanGeneratorImpl(DwanConfig config_) : config(std::move(config_)) { reset(); }

void DwanGeneratorImpl::reset() {
  config.validate();
  const size_t stages = config.strides.size();
  DwanEncoderOptions eo;
  eo.strides = config.strides;
  eo.dims.assign(config.dims.begin(), config.dims.begin() + static_cast<std::ptrdiff_t>(stages));
  eo.depths.assign(config.depths.begin(),
                   config.depths.begin() + static_cast<std::ptrdiff_t>(stages));
  eo.layer_scale = config.encoder_layer_scale;
  eo.out_dim = config.embed_dim();
  enc = register_module("enc", DwanEncoder(eo));

  quantizer = make_quantizer(config.quantizer_config());
  if (quantizer->dim() != config.embed_dim()) {
    throw ConfigError("DwanCodec: quantizer '" + quantizer->kind() + "' has width " +
                      std::to_string(quantizer->dim()) + ", the encoder gives " +
                      std::to_string(config.embed_dim()));
  }
  register_module("quantize_t", quantizer->module());

  DwanDecoderOptions d;
  d.backbone.in_dim = config.embed_dim();
  d.backbone.dim = config.decoder_dim;
  d.backbone.intermediate = config.decoder_intermediate;
  d.backbone.layers = config.decoder_layers;
  d.backbone.dw_kernel = config.decoder_dw_kernel;
  d.backbone.layer_scale = config.decoder_layer_scale_value();
  d.n_fft = config.n_fft;
  d.hop = config.hop;
  d.head_upsample = config.head_upsample;
  dec = register_module("dec", DwanDecoder(d));
}

void DwanGeneratorImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::DwanGenerator(hop=" << config.hop
         << ", quantizer=" << config.quantizer.kind << ", embed_dim=" << config.embed_dim() << ")";
}

torch::Tensor DwanGeneratorImpl::encode_latent(const torch::Tensor& wave) {
  return enc->forward(wave);
}

torch::Tensor DwanGeneratorImpl::decode_latent(const torch::Tensor& latent) {
  if (latent.dim() != 3 || latent.size(2) != config.embed_dim()) {
    throw ShapeError("DwanCodec decoder: expected [B, T, " + std::to_string(config.embed_dim()) +
                     "], got " + c10::str(latent.sizes()));
  }
  return dec->forward(latent.transpose(1, 2));
}

torch::Tensor DwanGeneratorImpl::decode_codes(const torch::Tensor& codes) {
  if (codes.dim() != 3 || codes.size(1) != quantizer->num_quantizers() || codes.size(2) < 1) {
    throw ShapeError("DwanCodec decode: expected codes [B, " +
                     std::to_string(quantizer->num_quantizers()) + ", T], got " +
                     c10::str(codes.sizes()));
  }
  if (codes.is_floating_point() || codes.is_complex()) {
    throw ShapeError("DwanCodec decode: codes must be integers, got " +
                     std::string(c10::toString(codes.scalar_type())));
  }
  const torch::Tensor latent = quantizer->dequantize(codes.permute({0, 2, 1}));
  return decode_latent(latent.to(torch::kFloat32));
}

}  // namespace xcodec::models
