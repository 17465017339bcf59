#include "xcodec/models/codecs/xcodec2_model.h"

#include <torch/torch.h>

#include "xcodec/core/error.h"
#include "xcodec/core/logging.h"
#include "xcodec/models/layers/compute_precision.h"
#include "xcodec/models/layers/foldable.h"
#include "xcodec/models/layers/parameter_init.h"

namespace xcodec::models {

int64_t padding_for(int64_t num_samples, int64_t hop_length) {
  if (hop_length <= 0) throw ConfigError("padding_for: hop_length must be > 0");
  if (num_samples < 0) throw ShapeError("padding_for: negative length");
  return hop_length - num_samples % hop_length;
}

torch::Tensor pad_for_encoding(const torch::Tensor& wave, int64_t hop_length) {
  const int64_t p = padding_for(wave.size(-1), hop_length);
  return torch::nn::functional::pad(wave, torch::nn::functional::PadFuncOptions({0, p}));
}

XCodec2ModelImpl::XCodec2ModelImpl(XCodec2Config config_, bool with_training_heads,
                                   bool with_encoder, bool with_decoder)
    : config(std::move(config_)),
      with_training_heads_(with_training_heads && with_encoder && with_decoder),
      with_encoder_(with_encoder),
      with_decoder_(with_decoder) {
  if (!with_encoder && !with_decoder) throw Error("XCodec2Model: neither encoder nor decoder");
  reset();
}

void XCodec2ModelImpl::reset() {
  config.validate();
  inference_prepared_ = false;
  const auto& s = config.semantic;
  const int64_t v = config.codec_decoder.vq_dim;
  // Registration order follows the original state dict.
  if (with_encoder_) CodecEnc = register_module("CodecEnc", CodecEncoder(config.codec_encoder));
  auto generator_options = config.codec_decoder;
  generator_options.quantizer_only = !with_decoder_;
  generator = register_module("generator", CodecDecoderVocos(generator_options));
  if (with_encoder_)
    fc_prior =
        register_module("fc_prior", make_linear(torch::nn::LinearOptions(config.fusion_dim(), v)));
  if (with_decoder_) {
    fc_post_a = register_module(
        "fc_post_a", make_linear(torch::nn::LinearOptions(v, config.codec_decoder.hidden_dim)));
  }
  if (with_training_heads_) {
    fc_post_s = register_module("fc_post_s", make_linear(torch::nn::LinearOptions(v, s.code_dim)));
    SemanticDecoder_module = register_module(
        "SemanticDecoder_module",
        make_semantic_decoder(s.code_dim, s.hidden_size, s.channels, s.kernel_size));
  }
  if (with_encoder_) {
    SemanticEncoder_module = register_module(
        "SemanticEncoder_module",
        make_semantic_encoder(s.hidden_size, s.code_dim, s.channels, s.kernel_size));
  }
}

void XCodec2ModelImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::XCodec2Model(" << kName << ", hop=" << config.hop_length()
         << ", vq_dim=" << config.codec_decoder.vq_dim
         << (with_training_heads_ ? ", training heads" : "")
         << (with_encoder_ ? "" : ", decode only") << (with_decoder_ ? "" : ", encode only") << ")";
}

EncodeOutput XCodec2ModelImpl::encode_detailed(const torch::Tensor& wave,
                                               const torch::Tensor& semantic_hidden) {
  if (!with_encoder_) throw Error("XCodec2Model::encode: this model was loaded for decoding only");
  const int64_t hop = config.hop_length();
  if (wave.dim() != 3 || wave.size(1) != 1 || wave.size(2) == 0 || wave.size(2) % hop != 0) {
    throw ShapeError(
        "XCodec2Model::encode: expected padded wave [B, 1, N'] with N' a multiple of " +
        std::to_string(hop) + " (use pad_for_encoding), got " + c10::str(wave.sizes()));
  }
  const int64_t frames = wave.size(2) / hop;
  if (semantic_hidden.dim() != 3 || semantic_hidden.size(0) != wave.size(0) ||
      semantic_hidden.size(1) != frames || semantic_hidden.size(2) != config.semantic.hidden_size) {
    throw ShapeError("XCodec2Model::encode: expected semantic_hidden [B, T, S] = [" +
                     std::to_string(wave.size(0)) + ", " + std::to_string(frames) + ", " +
                     std::to_string(config.semantic.hidden_size) + "], got " +
                     c10::str(semantic_hidden.sizes()));
  }
  EncodeOutput o;
  o.acoustic = CodecEnc->forward(wave);
  o.semantic = SemanticEncoder_module->forward(semantic_hidden.transpose(1, 2));
  o.concat = torch::cat({o.semantic, o.acoustic.transpose(1, 2)}, 1);  // semantic FIRST
  o.fused = linear_forward(*fc_prior, o.concat.transpose(1, 2)).transpose(1, 2);
  o.quantizer = generator->quantize(o.fused);
  o.codes = o.quantizer.indices.permute({0, 2, 1});
  o.quantized = o.quantizer.quantized.permute({0, 2, 1});
  return o;
}

torch::Tensor XCodec2ModelImpl::encode(const torch::Tensor& wave,
                                       const torch::Tensor& semantic_hidden) {
  c10::InferenceMode guard;
  return encode_detailed(wave, semantic_hidden).codes;
}

torch::Tensor XCodec2ModelImpl::codes_to_quantized(const torch::Tensor& codes) {
  if (codes.dim() != 3 || codes.size(1) > config.codec_decoder.vq_num_quantizers) {
    throw ShapeError("XCodec2Model::decode: expected codes [B, Q<=" +
                     std::to_string(config.codec_decoder.vq_num_quantizers) + ", T], got " +
                     c10::str(codes.sizes()));
  }
  return generator->quantizer->get_output_from_indices(codes.transpose(1, 2)).transpose(1, 2);
}

torch::Tensor XCodec2ModelImpl::decode_quantized(const torch::Tensor& quantized) {
  if (!with_decoder_) throw Error("XCodec2Model::decode: this model was loaded for encoding only");
  const torch::Tensor x = linear_forward(*fc_post_a, quantized.transpose(1, 2));  // [B, T, Hd]
  return generator->forward(x);
}

torch::Tensor XCodec2ModelImpl::decode(const torch::Tensor& codes) {
  c10::InferenceMode guard;
  return decode_quantized(codes_to_quantized(codes));
}

XCodec2ForwardOutput XCodec2ModelImpl::forward(const torch::Tensor& wave,
                                               const torch::Tensor& semantic_hidden) {
  if (!with_training_heads_) {
    throw Error("XCodec2Model::forward needs the training heads (built without them)");
  }
  EncodeOutput e = encode_detailed(wave, semantic_hidden);
  XCodec2ForwardOutput o;
  o.quantized = e.quantized;
  o.codes = e.codes;
  o.quantizer_input = e.quantizer.projected;
  o.semantic_target = semantic_hidden.transpose(1, 2).detach();
  const torch::Tensor s = linear_forward(*fc_post_s, e.quantized.transpose(1, 2)).transpose(1, 2);
  o.semantic_recon = SemanticDecoder_module->forward(s);
  o.recon = decode_quantized(e.quantized);
  return o;
}

void XCodec2ModelImpl::prepare_for_inference() {
  eval();
  fold_for_inference(*this);
  inference_prepared_ = true;
}

void XCodec2ModelImpl::apply_precision(ComputePrecision precision) {
  if (CodecEnc) lower_compute_precision(*CodecEnc, precision);
  if (SemanticEncoder_module) lower_compute_precision(*SemanticEncoder_module, precision);
  if (generator->backbone) lower_compute_precision(*generator->backbone, precision);
}

void XCodec2ModelImpl::set_compute_precision(ComputePrecision precision) {
  if (!inference_prepared_ && precision != ComputePrecision::kFloat32) {
    throw Error("XCodec2Model::set_compute_precision: call prepare_for_inference() first");
  }
  apply_precision(precision);
  precision_ = precision;
}

void XCodec2ModelImpl::prepare_for_training() {
  apply_precision(ComputePrecision::kFloat32);
  precision_ = ComputePrecision::kFloat32;
  unfold_all(*this);
  inference_prepared_ = false;
  train();
}

LoadStateReport XCodec2ModelImpl::load_weights(const TensorSource& source, bool strict,
                                               bool map_weights) {
  LoadStateOptions lo;
  lo.strict = strict;
  lo.map_weights = map_weights;
  lo.foreign_prefixes = {"semantic_model."};
  lo.optional_prefixes = {"fc_post_s.", "SemanticDecoder_module."};
  if (!with_encoder_) {
    // Decode-only: the encoder's tensors stay in the file.
    for (const char* p : {"CodecEnc.", "fc_prior.", "SemanticEncoder_module.", "fc_post_s.",
                          "SemanticDecoder_module."})
      lo.foreign_prefixes.emplace_back(p);
    lo.optional_prefixes.clear();
  }
  if (!with_decoder_) {
    // Encode-only: the decoder's tensors (most of the file) stay in the file.
    for (const char* p : {"generator.backbone.", "generator.head.", "generator.upsample.",
                          "fc_post_a.", "fc_post_s.", "SemanticDecoder_module."})
      lo.foreign_prefixes.emplace_back(p);
    lo.optional_prefixes.clear();
  }
  LoadStateReport r = load_state(*this, source, lo);
  if (!r.foreign.empty()) {
    XCODEC_LOG_DEBUG("[model] " << r.foreign.size() << " semantic_model.* tensors in "
                                << source.describe() << " left for the semantic teacher");
  }
  if (!r.missing_optional.empty()) {
    XCODEC_LOG_INFO("[model] " << source.describe()
                               << " has no training heads (fc_post_s, SemanticDecoder_module)");
  }
  if (inference_prepared_) {
    fold_for_inference(*this);
    apply_precision(precision_);
  }
  return r;
}

LoadStateReport XCodec2ModelImpl::load_weights(const std::string& safetensors_path, bool strict) {
  return load_weights(SafetensorsSource(io::SafetensorsFile::open(safetensors_path)), strict);
}

void XCodec2ModelImpl::save_weights(const std::string& path) const {
  save_state(path, *this,
             {{"format", "pt"},
              {kMetaFormatVersion, kFormatVersion},
              {kMetaModel, kName},
              {kMetaConfig, config.to_yaml()}});
}

XCodec2Model load_xcodec2_model(const std::string& path, const XCodec2Config& fallback) {
  const auto file = io::SafetensorsFile::open(path);
  XCodec2Config config = fallback;
  const auto& meta = file->metadata();
  if (const auto it = meta.find(kMetaModel);
      it != meta.end() && it->second != XCodec2ModelImpl::kName) {
    throw CheckpointError(path + ": holds model '" + it->second + "', not '" +
                          XCodec2ModelImpl::kName + "'");
  }
  if (const auto it = meta.find(kMetaConfig); it != meta.end()) {
    try {
      config = XCodec2Config::from_yaml(it->second);
    } catch (const ConfigError& e) {
      throw CheckpointError(path + ": invalid config in metadata: " + e.what());
    }
  }
  const bool heads = file->contains("fc_post_s.weight");
  XCodec2Model model(config, heads);
  model->load_weights(SafetensorsSource(file), /*strict=*/true);
  model->prepare_for_inference();
  return model;
}

}  // namespace xcodec::models
