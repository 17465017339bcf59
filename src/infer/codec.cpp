#include <torch/torch.h>

#include <algorithm>
#include <map>

#include "xcodec/audio/audio.h"
#include "xcodec/audio/resample.h"
#include "xcodec/core/error.h"
#include "xcodec/core/logging.h"
#include "xcodec/models/codecs/codec_registry.h"
#include "xcodec/models/layers/precision_choice.h"
#include "xcodec/xcodec.h"

namespace xcodec {

struct Codec::Impl {
  // LibTorch's forward() is non-const; inference never mutates the modules.
  std::unique_ptr<models::CodecModel> model;
  models::CodecInfo info;
  torch::Device device = torch::kCPU;
  models::PrecisionChoice precision;

  int64_t codebook_size() const { return info.codebook_size; }

  // [B, N'] padded waveforms of equal length → codes [B, Q, T] (CPU int32).
  torch::Tensor encode_padded(const torch::Tensor& wav_padded) const {
    if (!model->can_encode()) throw ConfigError(model->cannot_encode_reason());
    torch::InferenceMode guard;
    const torch::Tensor wav = wav_padded.to(device);
    return model->encode(wav.unsqueeze(1)).to(torch::kCPU, torch::kInt32);
  }

  torch::Tensor pad(const torch::Tensor& x) const {  // [N] → [padded_length(N)]
    const int64_t n = x.size(0);
    return torch::constant_pad_nd(x, {0, model->padded_length(n) - n});
  }

  torch::Tensor to_model_rate(const std::vector<float>& samples, int rate) const {
    if (rate <= 0) throw ConfigError("encode: invalid sample rate " + std::to_string(rate));
    if (samples.empty()) throw ShapeError("encode: empty audio");
    std::vector<float> x = rate == info.sample_rate
                               ? samples
                               : audio::resample(samples, rate, static_cast<int>(info.sample_rate));
    return torch::from_blob(x.data(), {static_cast<int64_t>(x.size())}, torch::kFloat32).clone();
  }

  torch::Tensor check_codes(const Codes& c) const {
    const int64_t q = info.num_quantizers;
    if (c.num_quantizers != q) {
      throw ShapeError("codes have " + std::to_string(c.num_quantizers) +
                       " quantizers, the model has " + std::to_string(q));
    }
    if (c.frames <= 0 || static_cast<int64_t>(c.data.size()) != c.num_quantizers * c.frames) {
      throw ShapeError("codes: " + std::to_string(c.data.size()) + " values for " +
                       std::to_string(c.num_quantizers) + " x " + std::to_string(c.frames));
    }
    const auto [mn, mx] = std::minmax_element(c.data.begin(), c.data.end());
    if (*mn < 0 || *mx >= codebook_size()) {
      throw ShapeError("code value " + std::to_string(*mn < 0 ? *mn : *mx) +
                       " outside the codebook [0, " + std::to_string(codebook_size()) + ")");
    }
    return torch::from_blob(const_cast<int32_t*>(c.data.data()), {1, c.num_quantizers, c.frames},
                            torch::kInt32)
        .clone();
  }

  Codes to_codes(const torch::Tensor& codes_qt) const {  // [Q, T]
    Codes c;
    c.num_quantizers = codes_qt.size(0);
    c.frames = codes_qt.size(1);
    c.frame_rate = info.frame_rate();
    const torch::Tensor t = codes_qt.contiguous().to(torch::kInt32);
    c.data.assign(t.data_ptr<int32_t>(), t.data_ptr<int32_t>() + t.numel());
    return c;
  }

  std::vector<float> decode_tensor(const torch::Tensor& codes) const {  // [1, Q, T]
    torch::InferenceMode guard;
    const torch::Tensor wav =
        model->decode(codes.to(device)).to(torch::kCPU, torch::kFloat32).contiguous();
    return std::vector<float>(wav.data_ptr<float>(), wav.data_ptr<float>() + wav.numel());
  }
};

Codec::Codec(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Codec::~Codec() = default;

std::shared_ptr<const Codec> Codec::load(const std::string& path, const CodecOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->device = torch::Device(options.device);
  if (options.num_threads > 0) torch::set_num_threads(options.num_threads);
  models::CodecBuildOptions build;
  build.device = impl->device;
  build.teacher = options.teacher;
  build.decode_only = options.decode_only;
  build.encode_only = options.encode_only && !options.decode_only;
  impl->model = models::load_codec(path, build);
  impl->info = impl->model->info();
  impl->precision = models::choose_compute_precision(options.precision, impl->device);
  if (impl->precision.fell_back) {
    XCODEC_LOG_WARN("[infer] " << impl->precision.reason);
  } else if (options.precision != "fp32") {
    XCODEC_LOG_INFO("[infer] " << impl->precision.reason);
  }
  impl->model->set_compute_precision(impl->precision.precision);
  impl->model->module().eval();
  return std::shared_ptr<const Codec>(new Codec(std::move(impl)));
}

Codes Codec::encode(const std::vector<float>& samples, int sample_rate) const {
  return encode_batch({samples}, sample_rate).at(0);
}

std::vector<Codes> Codec::encode_batch(const std::vector<std::vector<float>>& utterances,
                                       int sample_rate) const {
  std::vector<torch::Tensor> padded;
  for (const auto& u : utterances)
    padded.push_back(impl_->pad(impl_->to_model_rate(u, sample_rate)));
  // Group by padded length: one forward per group, so no item sees another's padding.
  std::map<int64_t, std::vector<size_t>> groups;
  for (size_t i = 0; i < padded.size(); ++i) groups[padded[i].size(0)].push_back(i);
  std::vector<Codes> out(utterances.size());
  for (const auto& [len, items] : groups) {
    std::vector<torch::Tensor> rows;
    for (size_t i : items) rows.push_back(padded[i]);
    const torch::Tensor codes = impl_->encode_padded(torch::stack(rows));
    for (size_t k = 0; k < items.size(); ++k)
      out[items[k]] = impl_->to_codes(codes[static_cast<int64_t>(k)]);
  }
  return out;
}

std::vector<float> Codec::decode(const Codes& codes) const {
  return impl_->decode_tensor(impl_->check_codes(codes));
}

std::vector<std::vector<float>> Codec::decode_batch(const std::vector<Codes>& codes) const {
  std::map<int64_t, std::vector<size_t>> groups;
  std::vector<torch::Tensor> tensors;
  for (size_t i = 0; i < codes.size(); ++i) {
    tensors.push_back(impl_->check_codes(codes[i]));
    groups[codes[i].frames].push_back(i);
  }
  std::vector<std::vector<float>> out(codes.size());
  for (const auto& [frames, items] : groups) {
    std::vector<torch::Tensor> rows;
    for (size_t i : items) rows.push_back(tensors[i][0]);
    torch::InferenceMode guard;
    const torch::Tensor wav = impl_->model->decode(torch::stack(rows).to(impl_->device))
                                  .to(torch::kCPU, torch::kFloat32)
                                  .contiguous();
    for (size_t k = 0; k < items.size(); ++k) {
      const torch::Tensor w = wav[static_cast<int64_t>(k)].flatten();
      out[items[k]].assign(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
    }
  }
  return out;
}

std::vector<float> Codec::reconstruct(const std::vector<float>& samples, int sample_rate) const {
  const torch::Tensor x = impl_->to_model_rate(samples, sample_rate);  // resampled once
  const torch::Tensor codes = impl_->encode_padded(impl_->pad(x).unsqueeze(0));
  std::vector<float> y = impl_->decode_tensor(codes);
  y.resize(static_cast<size_t>(x.size(0)));  // drop the model's padding
  if (sample_rate != impl_->info.sample_rate) {
    y = audio::resample(y, static_cast<int>(impl_->info.sample_rate), sample_rate);
  }
  y.resize(samples.size(), 0.0f);  // resampling may be off by a sample
  return y;
}

StreamingDecoder Codec::stream_decoder(int64_t left_context_frames,
                                       int64_t lookahead_frames) const {
  if (left_context_frames < 0 || lookahead_frames < 0)
    throw ConfigError("stream decoder: negative context");
  return StreamingDecoder(shared_from_this(), left_context_frames, lookahead_frames);
}

std::string Codec::compute_precision() const {
  return models::to_string(impl_->precision.precision);
}
std::string Codec::compute_precision_reason() const { return impl_->precision.reason; }
int Codec::sample_rate() const { return static_cast<int>(impl_->info.sample_rate); }
double Codec::frame_rate() const { return impl_->info.frame_rate(); }
int64_t Codec::hop_length() const { return impl_->info.hop_length; }
int64_t Codec::codebook_size() const { return impl_->codebook_size(); }
int64_t Codec::num_quantizers() const { return impl_->info.num_quantizers; }
bool Codec::can_encode() const { return impl_->model->can_encode(); }
std::string Codec::model_name() const { return impl_->info.name; }
std::string Codec::quantizer_kind() const { return impl_->info.quantizer; }

StreamingDecoder::StreamingDecoder(std::shared_ptr<const Codec> codec, int64_t left_context,
                                   int64_t lookahead)
    : codec_(std::move(codec)),
      left_context_(left_context),
      lookahead_(lookahead),
      num_quantizers_(codec_->num_quantizers()) {}

std::vector<float> StreamingDecoder::push(const Codes& chunk) {
  if (chunk.num_quantizers != num_quantizers_)
    throw ShapeError("stream: chunk has a different number of quantizers");
  // Stored frame-major so appending is cheap.
  for (int64_t t = 0; t < chunk.frames; ++t) {
    for (int64_t q = 0; q < chunk.num_quantizers; ++q) frames_.push_back(chunk.at(q, t));
  }
  const int64_t total = static_cast<int64_t>(frames_.size()) / num_quantizers_;
  return emit(total - lookahead_, false);
}

std::vector<float> StreamingDecoder::finish() {
  return emit(static_cast<int64_t>(frames_.size()) / num_quantizers_, true);
}

std::vector<float> StreamingDecoder::emit(int64_t until_frame, bool final) {
  const int64_t total = static_cast<int64_t>(frames_.size()) / num_quantizers_;
  if (until_frame <= emitted_frames_) return {};
  // Decode window [begin, end): left context, the frames to release, and the lookahead.
  const int64_t begin = std::max<int64_t>(0, emitted_frames_ - left_context_);
  const int64_t end = final ? total : std::min(total, until_frame + lookahead_);
  Codes window;
  window.num_quantizers = num_quantizers_;
  window.frames = end - begin;
  window.data.resize(static_cast<size_t>(window.frames * num_quantizers_));
  for (int64_t t = begin; t < end; ++t) {
    for (int64_t q = 0; q < num_quantizers_; ++q) {
      window.data[static_cast<size_t>(q * window.frames + (t - begin))] =
          frames_[static_cast<size_t>(t * num_quantizers_ + q)];
    }
  }
  const std::vector<float> audio = codec_->decode(window);
  const int64_t hop = codec_->hop_length();
  const int64_t available = static_cast<int64_t>(audio.size());
  // A decoder may give fewer than hop samples per frame at the window's end (centre-mode
  // ISTFT: one hop less); release only whole frames it covered, or everything at the end.
  if (!final) until_frame = std::min(until_frame, begin + available / hop);
  if (until_frame <= emitted_frames_) return {};
  const int64_t from = std::min(available, (emitted_frames_ - begin) * hop);
  const int64_t to = final ? available : std::min(available, (until_frame - begin) * hop);
  std::vector<float> out(audio.begin() + from, audio.begin() + to);
  emitted_frames_ = until_frame;
  return out;
}

}  // namespace xcodec
