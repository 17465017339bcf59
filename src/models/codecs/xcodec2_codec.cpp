#include "xcodec/models/codecs/xcodec2_codec.h"

#include <torch/torch.h>

#include <map>
#include <utility>
#include <vector>

#include "xcodec/core/error.h"
#include "xcodec/core/logging.h"
#include "xcodec/io/safetensors.h"
#include "xcodec/losses/semantic_loss.h"
#include "xcodec/models/codecs/semantic_teacher_factory.h"
#include "xcodec/models/codecs/xcodec2_model.h"
#include "xcodec/models/layers/parameter_init.h"
#include "xcodec/models/semantic/wav2vec2_bert.h"

namespace xcodec::models {
namespace {

class XCodec2Codec : public CodecModel {
 public:
  XCodec2Codec(XCodec2Config config, bool training, uint64_t seed, bool with_encoder = true,
               bool with_decoder = true)
      : config_(std::move(config)),
        seed_(seed),
        net_(config_, training, with_encoder, with_decoder) {}

  CodecInfo info() const override {
    CodecInfo i;
    i.name = XCodec2ModelImpl::kName;
    i.sample_rate = config_.sample_rate;
    i.hop_length = config_.hop_length();
    i.num_quantizers = config_.codec_decoder.vq_num_quantizers;
    i.codebook_size = 1;
    for (const int64_t l : config_.codec_decoder.levels) i.codebook_size *= l;
    i.quantizer = "fsq";
    return i;
  }
  torch::nn::Module& module() override { return *net_; }
  std::string config_yaml() const override { return config_.to_yaml(); }
  void to(const torch::Device& device) override {
    net_->to(device);
    device_ = device;
  }

  int64_t padded_length(int64_t n) const override {
    return n + padding_for(n, config_.hop_length());
  }
  torch::Tensor encode(const torch::Tensor& wave) override {
    torch::InferenceMode guard;
    return net_->encode(wave, semantic_input(wave));
  }
  torch::Tensor decode(const torch::Tensor& codes) override { return net_->decode(codes); }
  int64_t decoded_length(int64_t frames) const override { return frames * config_.hop_length(); }
  bool can_encode() const override { return teacher_ || semantic_off_; }
  std::string cannot_encode_reason() const override { return teacher_error_; }
  void prepare_for_inference() override { net_->prepare_for_inference(); }
  void prepare_for_training() override { net_->prepare_for_training(); }
  void set_compute_precision(ComputePrecision p) override { net_->set_compute_precision(p); }

  CodecTrainOutput forward_train(const torch::Tensor& wave,
                                 const torch::Tensor& features) override {
    const torch::Tensor target = features.defined() ? features : semantic_input(wave);
    XCodec2ForwardOutput f = net_->forward(wave, target);
    CodecTrainOutput out;
    out.recon = f.recon;
    out.target = wave;
    out.codes = f.codes;
    out.bound_input = f.quantizer_input;
    if (teacher_) {
      out.losses["semantic"] =
          losses::semantic_reconstruction_loss(f.semantic_recon, target.transpose(1, 2));
    }
    return out;
  }
  std::vector<std::string> loss_names() const override { return {"semantic"}; }
  std::optional<FeatureCacheSpec> feature_cache() const override {
    if (!teacher_) return std::nullopt;
    return FeatureCacheSpec{teacher_->layer(), teacher_->hidden_size()};
  }
  std::vector<torch::Tensor> encoder_parameters() override { return net_->encoder_parameters(); }

  void load_weights(const std::string& path) override {
    LoadStateOptions lo;
    lo.foreign_prefixes = {"semantic_model."};  // the teacher is built elsewhere
    lo.optional_prefixes = {"fc_post_s.", "SemanticDecoder_module."};
    if (!net_->has_training_heads()) {
      lo.foreign_prefixes.insert(lo.foreign_prefixes.end(), lo.optional_prefixes.begin(),
                                 lo.optional_prefixes.end());
    }
    load_state(*net_, SafetensorsSource(io::SafetensorsFile::open(path)), lo);
  }
  void save_inference_file(const std::string& path,
                           const std::map<std::string, std::string>& extra) override {
    if (!net_->has_encoder() || !net_->has_decoder()) {
      throw Error("cannot save a model loaded for decoding or encoding only");
    }
    std::vector<std::pair<std::string, torch::Tensor>> tensors = persistent_state(*net_);
    std::map<std::string, std::string> meta = {{"format", "pt"},
                                               {kMetaFormatVersion, kFormatVersion},
                                               {kMetaModel, XCodec2ModelImpl::kName},
                                               {kMetaConfig, config_.to_yaml()}};
    if (config_.semantic.teacher == "random") {
      // The random teacher the codec was trained with travels with it, so encoding needs
      // nothing else.
      Wav2Vec2BertModel w2v = make_random_teacher_model(config_, seed_);
      for (const auto& p : w2v->named_parameters(true))
        tensors.emplace_back("semantic_model." + p.key(), p.value());
      for (const auto& b : w2v->named_buffers(true))
        tensors.emplace_back("semantic_model." + b.key(), b.value());
      meta["xcodec.teacher_config"] = w2v->options.config.to_json();
    }
    for (const auto& [k, v] : extra) meta[k] = v;
    io::save_safetensors(path, tensors, meta);
  }

  // The teacher: built from the config for training; for inference see load_family().
  void build_teacher(const torch::Device& device) {
    teacher_ = make_semantic_teacher(config_, device, seed_);
    semantic_off_ = !teacher_;
    if (!teacher_)
      XCODEC_LOG_INFO("[model] semantic branch off (model.semantic.teacher=none): zeros in");
  }

  XCodec2Config config_;
  uint64_t seed_ = 0;
  XCodec2Model net_;
  torch::Device device_ = torch::kCPU;
  std::shared_ptr<const SemanticTeacher> teacher_;
  bool semantic_off_ = false;
  std::string teacher_error_;

 private:
  // Teacher hidden states [B, T, S] for wave [B, 1, N'] (zeros when the branch is off).
  torch::Tensor semantic_input(const torch::Tensor& wave) const {
    const torch::Tensor w = wave.dim() == 3 ? wave.squeeze(1) : wave;
    if (teacher_)
      return teacher_->hidden(w.to(teacher_->options().device)).to(device_, torch::kFloat32);
    if (semantic_off_) {
      return torch::zeros(
          {w.size(0), w.size(1) / config_.hop_length(), config_.semantic.hidden_size},
          torch::TensorOptions().device(device_));
    }
    throw ConfigError(teacher_error_);
  }
};

std::unique_ptr<CodecModel> build_family(const std::string& yaml, const CodecBuildOptions& o) {
  auto codec = std::make_unique<XCodec2Codec>(XCodec2Config::from_yaml(yaml), o.training, o.seed);
  codec->to(o.device);
  if (!o.teacher.empty()) codec->config_.semantic.teacher = o.teacher;
  if (o.conditioning) codec->build_teacher(o.device);
  return codec;
}

// An exported or released file: the teacher nested in it (`semantic_model.*`), an explicit
// folder, or the config's own choice; without one, decoding still works.
std::unique_ptr<CodecModel> load_family(const std::string& path, const CodecBuildOptions& o) {
  auto file = io::SafetensorsFile::open(path);
  const auto& meta = file->metadata();
  XCodec2Config config;
  if (const auto it = meta.find(kMetaConfig); it != meta.end()) {
    try {
      config = XCodec2Config::from_yaml(it->second);
    } catch (const ConfigError& e) {
      throw CheckpointError(path + ": invalid config in metadata: " + e.what());
    }
  }
  const bool heads = file->contains("fc_post_s.weight") && !o.decode_only && !o.encode_only;
  std::unique_ptr<XCodec2Codec> codec;
  {
    // Every parameter is loaded, strictly, just below: no random initialisation first.
    const SkipParameterInit skip_init;
    codec = std::make_unique<XCodec2Codec>(config, heads, o.seed, !o.decode_only,
                                           !o.encode_only || o.decode_only);
  }
  // A decode-only load uses the file's pages in place (decode of 10 s: 0.3 s less, +5 % peak
  // memory, all of it file pages the kernel can drop and other processes share). Encoding
  // copies: with mapped weights its peak memory grew with the input's length (60 s: +0.9 GB).
  // Mapping only the quantizer's few small tensors did it too (+0.36 GB), which points at the
  // heap's layout under tune_allocator_for_inference() rather than at the pages; not resolved.
  codec->net_->load_weights(SafetensorsSource(file), /*strict=*/true,
                            /*map_weights=*/o.decode_only);
  codec->net_->prepare_for_inference();
  codec->to(o.device);
  if (o.decode_only) {
    codec->teacher_error_ = "'" + path + "' was loaded for decoding only";
    return codec;
  }
  const std::string& choice = config.semantic.teacher;
  if (file->contains("semantic_model.feature_projection.projection.weight")) {
    Wav2Vec2BertOptions wo;
    if (auto tc = meta.find("xcodec.teacher_config"); tc != meta.end())
      wo.config = Wav2Vec2BertConfig::from_json(tc->second, path);
    wo.num_layers = config.semantic.teacher_layer;
    Wav2Vec2BertModel w2v = [&] {
      const SkipParameterInit skip_init;  // loaded strictly below
      return Wav2Vec2BertModel(wo);
    }();
    load_wav2vec2_bert_weights(w2v, *file, "semantic_model.");
    SemanticTeacherOptions to;
    to.layer = wo.num_layers;
    to.device = o.device;
    codec->teacher_ = std::make_shared<const SemanticTeacher>(w2v, to);
  } else if (!o.teacher.empty()) {
    auto cfg = config;
    cfg.semantic.teacher = o.teacher;
    codec->teacher_ = make_semantic_teacher(cfg, o.device);
  } else if (choice == "none") {
    codec->semantic_off_ = true;
  } else if (choice != "random" && !choice.empty()) {
    try {
      codec->teacher_ = make_semantic_teacher(config, o.device);
    } catch (const ConfigError& e) {
      codec->teacher_error_ = std::string("encoding needs the semantic teacher: ") + e.what();
    }
  }
  if (!codec->teacher_ && !codec->semantic_off_ && codec->teacher_error_.empty()) {
    codec->teacher_error_ =
        "encoding needs the w2v-BERT 2.0 semantic teacher, which '" + path +
        "' does not contain: pass its folder (config.json + model.safetensors) with --teacher";
  }
  return codec;
}

}  // namespace

CodecFamily xcodec2_codec_family() {
  return {XCodec2ModelImpl::kName,
          "X-Codec-2.0: BigCodec encoder + w2v-BERT 2.0 semantic teacher, one FSQ codebook, "
          "Vocos decoder (16 kHz, 50 tokens/s)",
          build_family, load_family};
}

}  // namespace xcodec::models
