#include "xcodec/models/codecs/dwan_codec.h"

#include <torch/torch.h>

#include <map>
#include <utility>
#include <vector>

#include "xcodec/core/error.h"
#include "xcodec/io/safetensors.h"
#include "xcodec/models/dwan/dwan_generator.h"
#include "xcodec/models/layers/compute_precision.h"
#include "xcodec/models/layers/state_dict.h"

namespace xcodec::models {
namespace {

constexpr const char* kName = "dwan";

class DwanCodec : public CodecModel {
 public:
  DwanCodec(DwanConfig config, const CodecBuildOptions& options)
      : config_(std::move(config)), net_(config_) {
    net_->to(options.device);
    if (options.training) {
      net_->train();
    } else {
      net_->eval();
    }
  }

  CodecInfo info() const override {
    CodecInfo i;
    i.name = kName;
    i.sample_rate = config_.sample_rate;
    i.hop_length = config_.hop;
    i.num_quantizers = net_->quantizer->num_quantizers();
    i.codebook_size = net_->quantizer->codebook_size();
    i.quantizer = net_->quantizer->kind();
    return i;
  }
  torch::nn::Module& module() override { return *net_; }
  std::string config_yaml() const override { return config_.to_yaml(); }
  void to(const torch::Device& device) override { net_->to(device); }

  // ---- inference ----
  int64_t padded_length(int64_t n) const override {
    const int64_t hop = config_.hop;
    return ((std::max<int64_t>(n, 0) + hop - 1) / hop + 1) * hop;
  }

  torch::Tensor encode(const torch::Tensor& wave) override {
    check_wave(wave, "encode");
    torch::NoGradGuard no_grad;
    const torch::Tensor z = net_->encode_latent(wave.to(torch::kFloat32));
    return net_->quantizer->quantize(z).indices.permute({0, 2, 1}).to(torch::kInt32).contiguous();
  }

  torch::Tensor decode(const torch::Tensor& codes) override {
    torch::NoGradGuard no_grad;
    if (codes.dim() == 3 && codes.numel() > 0 && !codes.is_floating_point()) {
      const int64_t lo = codes.min().item<int64_t>();
      const int64_t hi = codes.max().item<int64_t>();
      const int64_t size = net_->quantizer->codebook_size();
      if (lo < 0 || hi >= size) {
        throw ShapeError("DwanCodec decode: codes must lie in [0, " + std::to_string(size) +
                         "), got [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
      }
    }
    return net_->decode_codes(codes);
  }

  int64_t decoded_length(int64_t frames) const override {
    return std::max<int64_t>(frames - 1, 0) * config_.hop;
  }

  void prepare_for_inference() override { net_->eval(); }

  void prepare_for_training() override {
    set_compute_precision(ComputePrecision::kFloat32);
    net_->train();
  }

  /// The encoder and the decoder's backbone get 16-bit weight copies; the head's `out` layer
  /// stays float32 (its output is exponentiated, which amplifies rounding of the log-magnitude)
  /// and the quantizer runs in float32 (spec gotcha 7).
  void set_compute_precision(ComputePrecision precision) override {
    lower_compute_precision(*net_->enc, precision);
    lower_compute_precision(*net_->dec->decoder, precision);
    precision_ = precision;
  }

  // ---- training ----
  CodecTrainOutput forward_train(const torch::Tensor& wave,
                                 const torch::Tensor& features) override {
    (void)features;  // DwanCodec has no cached conditioning
    check_wave(wave, "forward_train");
    if (wave.size(2) < 2 * config_.hop) {
      throw ShapeError("DwanCodec forward_train: a crop of " + std::to_string(wave.size(2)) +
                       " samples gives no output; needs >= " + std::to_string(2 * config_.hop));
    }
    const torch::Tensor z = net_->encode_latent(wave);
    QuantizerOutput q = net_->quantizer->quantize(z);
    CodecTrainOutput out;
    out.recon = net_->decode_latent(q.quantized);
    // The centre-mode head gives (T − 1)·hop samples: score the input's first ones (§5.4).
    out.target = wave.narrow(2, 0, out.recon.size(2));
    out.codes = q.indices.permute({0, 2, 1}).to(torch::kInt32);
    out.losses["codebook"] =
        q.loss.defined() ? q.loss : torch::zeros({}, wave.options().dtype(torch::kFloat32));
    for (auto& [key, value] : q.terms) out.diagnostics["quantizer/" + key] = value;
    out.bound_input = q.bound_input;
    return out;
  }

  std::vector<std::string> loss_names() const override { return {"codebook"}; }

  std::vector<torch::Tensor> encoder_parameters() override { return net_->enc->parameters(); }

  // ---- files ----
  void load_weights(const std::string& path) override {
    const auto file = io::SafetensorsFile::open(path);
    const auto& meta = file->metadata();
    if (const auto it = meta.find(kMetaModel); it != meta.end() && it->second != kName) {
      throw CheckpointError(path + ": holds model '" + it->second + "', not '" + kName + "'");
    }
    LoadStateOptions options;
    options.strict = true;
    load_state(*net_, SafetensorsSource(file), options);
    // The 16-bit copies were taken from the old weights: take them again.
    if (precision_ != ComputePrecision::kFloat32) set_compute_precision(precision_);
  }

  void save_inference_file(const std::string& path,
                           const std::map<std::string, std::string>& extra) override {
    std::map<std::string, std::string> meta = extra;
    meta["format"] = "pt";
    meta[kMetaFormatVersion] = kFormatVersion;
    meta[kMetaModel] = kName;
    meta[kMetaConfig] = config_yaml();
    save_state(path, *net_, meta);
  }

 private:
  void check_wave(const torch::Tensor& wave, const char* what) const {
    if (wave.dim() != 3 || wave.size(1) != 1 || wave.size(2) < config_.hop) {
      throw ShapeError(std::string("DwanCodec ") + what + ": expected [B, 1, L] with L >= " +
                       std::to_string(config_.hop) + ", got " + c10::str(wave.sizes()));
    }
  }

  DwanConfig config_;
  DwanGenerator net_;
  ComputePrecision precision_ = ComputePrecision::kFloat32;
};

}  // namespace

std::unique_ptr<CodecModel> make_dwan_codec(const DwanConfig& config,
                                            const CodecBuildOptions& options) {
  return std::make_unique<DwanCodec>(config, options);
}

std::unique_ptr<CodecModel> load_dwan_codec(const std::string& path,
                                            const CodecBuildOptions& options) {
  const auto file = io::SafetensorsFile::open(path);
  const auto& meta = file->metadata();
  const auto model = meta.find(kMetaModel);
  if (model == meta.end() || model->second != kName) {
    throw CheckpointError(path + ": not a DwanCodec file (metadata " + kMetaModel + " = '" +
                          (model == meta.end() ? std::string() : model->second) + "')");
  }
  const auto config_text = meta.find(kMetaConfig);
  if (config_text == meta.end()) {
    throw CheckpointError(path + ": no model config in its metadata (" + kMetaConfig + ")");
  }
  DwanConfig config;
  try {
    config = DwanConfig::from_yaml(config_text->second);
  } catch (const ConfigError& e) {
    throw CheckpointError(path + ": invalid config in metadata: " + e.what());
  }
  CodecBuildOptions build = options;
  build.training = false;
  auto codec = make_dwan_codec(config, build);
  codec->load_weights(path);
  codec->prepare_for_inference();
  return codec;
}

CodecFamily dwan_codec_family() {
  CodecFamily f;
  f.name = kName;
  f.description = "DwanCodec: ConvNeXt encoder, FSQ, Vocos decoder (24 kHz, 46.875 Hz)";
  f.build = [](const std::string& yaml, const CodecBuildOptions& options) {
    return make_dwan_codec(DwanConfig::from_yaml(yaml), options);
  };
  f.load = [](const std::string& path, const CodecBuildOptions& options) {
    return load_dwan_codec(path, options);
  };
  return f;
}

}  // namespace xcodec::models
