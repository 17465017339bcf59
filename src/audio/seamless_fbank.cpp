#include "xcodec/audio/seamless_fbank.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "xcodec/core/error.h"

namespace xcodec::audio {
namespace {

// Kaldi's mel scale (natural log), as in transformers' audio_utils with mel_scale="kaldi".
double hz_to_mel_kaldi(double hz) { return 1127.0 * std::log(1.0 + hz / 700.0); }

// Mel weights [bins, mels]: each FFT bin is placed on the mel axis and every filter is a triangle
// between three consecutive of (mels + 2) equally spaced mel points (triangularize_in_mel_space).
torch::Tensor make_mel_filters(const SeamlessFbankOptions& o) {
  const int64_t bins = o.fft_size / 2 + 1;
  const int64_t mels = o.num_mel_bins;
  const double mel_lo = hz_to_mel_kaldi(o.low_freq);
  const double mel_hi = hz_to_mel_kaldi(o.high_freq);
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  // linspace like numpy: start + j * step.
  const torch::Tensor points = torch::linspace(mel_lo, mel_hi, mels + 2, f64);
  const double bin_width = static_cast<double>(o.sample_rate) / static_cast<double>((bins - 1) * 2);
  const torch::Tensor bin_mel =
      1127.0 * torch::log1p(torch::arange(bins, f64) * bin_width / 700.0);  // [bins]
  const torch::Tensor diff = points.slice(0, 1) - points.slice(0, 0, -1);   // [mels + 1]
  const torch::Tensor slopes = points.unsqueeze(0) - bin_mel.unsqueeze(1);  // [bins, mels + 2]
  const torch::Tensor down = -slopes.slice(1, 0, mels) / diff.slice(0, 0, mels);
  const torch::Tensor up = slopes.slice(1, 2, mels + 2) / diff.slice(0, 1, mels + 1);
  return torch::clamp_min(torch::minimum(down, up), 0.0).contiguous();
}

torch::Tensor make_povey_window(int64_t length) {
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  const torch::Tensor n = torch::arange(length, f64);
  const double denom = static_cast<double>(length - 1);
  return torch::pow(0.5 - 0.5 * torch::cos(2.0 * M_PI * n / denom), 0.85);
}

// [B, T, mel] frames plus their frame mask [B, T] → stacked features and the reference's stacked
// mask (frame indices with index % stride == 1). T must be a multiple of stride.
SeamlessFeatures stack_frames(const torch::Tensor& frames, const torch::Tensor& frame_mask,
                              int64_t stride) {
  const int64_t batch = frames.size(0);
  const int64_t t = frames.size(1);
  const int64_t mel = frames.size(2);
  SeamlessFeatures out;
  out.input_features = frames.reshape({batch, t / stride, mel * stride});
  out.attention_mask = frame_mask.reshape({batch, t / stride, stride}).select(2, 1 % stride);
  out.attention_mask = out.attention_mask.contiguous();
  return out;
}

}  // namespace

void SeamlessFbankOptions::validate() const {
  auto fail = [](const std::string& key, const std::string& why) {
    throw ConfigError("seamless fbank: " + key + " " + why);
  };
  if (sample_rate <= 0) fail("sample_rate", "must be > 0");
  if (num_mel_bins <= 0) fail("num_mel_bins", "must be > 0");
  if (frame_length <= 1) fail("frame_length", "must be > 1");
  if (frame_shift <= 0) fail("frame_shift", "must be > 0");
  if (fft_size < frame_length) fail("fft_size", "must be >= frame_length");
  if (!(low_freq >= 0.0) || !(high_freq > low_freq) || high_freq > sample_rate / 2.0)
    fail("low_freq/high_freq", "must satisfy 0 <= low_freq < high_freq <= sample_rate / 2");
  if (!(log_floor > 0.0)) fail("log_floor", "must be > 0");
  if (!(norm_eps >= 0.0)) fail("norm_eps", "must be >= 0");
  if (stride < 2) fail("stride", "must be >= 2 (the reference mask keeps index % stride == 1)");
}

SeamlessFbankOptions SeamlessFbankOptions::from_preprocessor_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw IoError("cannot open feature-extractor config " + path);
  nlohmann::json j;
  try {
    in >> j;
  } catch (const std::exception& e) {
    throw ConfigError(path + ": invalid JSON: " + e.what());
  }
  if (!j.is_object()) throw ConfigError(path + ": expected a JSON object");
  SeamlessFbankOptions o;
  auto get_int = [&](const char* key, int64_t* field) {
    if (!j.contains(key)) return;
    if (!j[key].is_number_integer()) throw ConfigError(path + ": " + key + " must be an integer");
    *field = j[key].get<int64_t>();
  };
  if (j.contains("feature_extractor_type") && j["feature_extractor_type"].is_string() &&
      j["feature_extractor_type"].get<std::string>() != "SeamlessM4TFeatureExtractor") {
    throw ConfigError(path + ": feature_extractor_type '" +
                      j["feature_extractor_type"].get<std::string>() +
                      "' is not SeamlessM4TFeatureExtractor");
  }
  get_int("num_mel_bins", &o.num_mel_bins);
  int64_t feature_size = o.num_mel_bins;
  get_int("feature_size", &feature_size);
  if (feature_size != o.num_mel_bins)
    throw ConfigError(path + ": feature_size " + std::to_string(feature_size) +
                      " != num_mel_bins " + std::to_string(o.num_mel_bins));
  get_int("sampling_rate", &o.sample_rate);
  get_int("stride", &o.stride);
  if (j.contains("padding_value")) {
    if (!j["padding_value"].is_number())
      throw ConfigError(path + ": padding_value must be a number");
    o.padding_value = j["padding_value"].get<double>();
  }
  if (j.contains("padding_side") &&
      !(j["padding_side"].is_string() && j["padding_side"].get<std::string>() == "right")) {
    throw ConfigError(path + ": padding_side " + j["padding_side"].dump() +
                      " is not supported (only \"right\")");
  }
  try {
    o.validate();
  } catch (const ConfigError& e) {
    throw ConfigError(path + ": " + e.what());
  }
  return o;
}

SeamlessFbank::SeamlessFbank(SeamlessFbankOptions options) : options_(std::move(options)) {
  options_.validate();
  window_ = make_povey_window(options_.frame_length);
  mel_filters_ = make_mel_filters(options_);
}

int64_t SeamlessFbank::num_frames(int64_t num_samples) const {
  if (num_samples < options_.frame_length) return 0;
  return 1 + (num_samples - options_.frame_length) / options_.frame_shift;
}

int64_t SeamlessFbank::num_output_frames(int64_t num_samples) const {
  return (num_frames(num_samples) + options_.stride - 1) / options_.stride;
}

torch::Tensor SeamlessFbank::log_mel(const torch::Tensor& waveform) const {
  if (waveform.dim() != 1 && waveform.dim() != 2)
    throw ShapeError("seamless fbank: expected a waveform [N] or [B, N], got " + [&] {
      std::ostringstream s;
      s << waveform.sizes();
      return s.str();
    }());
  const int64_t n = waveform.size(-1);
  const int64_t t = num_frames(n);
  if (t <= 0)
    throw ShapeError("seamless fbank: waveform of " + std::to_string(n) +
                     " samples is shorter than one frame (" +
                     std::to_string(options_.frame_length) + " samples)");
  const auto dev = waveform.device();
  const torch::Tensor x =
      (waveform.dim() == 1 ? waveform.unsqueeze(0) : waveform).to(torch::kFloat64) *
      options_.input_scale;
  // [B, T, L] overlapping frames (a view), snip_edges: the tail that does not fill a frame is
  // dropped.
  torch::Tensor frames = x.unfold(1, options_.frame_length, options_.frame_shift);
  frames = frames - frames.mean(-1, /*keepdim=*/true);  // DC removal per frame
  // Pre-emphasis from the DC-removed values; the first sample uses Kaldi's replicate convention.
  const int64_t len = options_.frame_length;
  const double a = options_.preemphasis;
  frames = torch::cat({frames.slice(-1, 0, 1) * (1.0 - a),
                       frames.slice(-1, 1, len) - a * frames.slice(-1, 0, len - 1)},
                      -1);
  frames = frames * window_.to(dev);
  const torch::Tensor spec = torch::fft::rfft(frames, options_.fft_size, -1);  // [B, T, bins]
  const torch::Tensor power = torch::view_as_real(spec).pow(2).sum(-1);        // |X|^2, float64
  torch::Tensor mel = torch::matmul(power, mel_filters_.to(dev));              // [B, T, mels]
  mel = mel.clamp_min(options_.log_floor).log().to(torch::kFloat32);
  return waveform.dim() == 1 ? mel.squeeze(0) : mel;
}

torch::Tensor SeamlessFbank::normalized_log_mel(const torch::Tensor& batch) const {
  torch::Tensor f = log_mel(batch);  // [B, T, mels] float32
  if (!options_.normalize) return f;
  // Statistics over time per mel bin, float32, unbiased variance as in the reference (ddof=1;
  // a single frame gives NaN there too).
  const torch::Tensor mean = f.mean(1, /*keepdim=*/true);
  const torch::Tensor var = f.var(torch::IntArrayRef{1}, /*unbiased=*/true, /*keepdim=*/true);
  return (f - mean) / torch::sqrt(var + options_.norm_eps);
}

SeamlessFeatures SeamlessFbank::operator()(const torch::Tensor& waveforms) const {
  const torch::Tensor batch = waveforms.dim() == 1 ? waveforms.unsqueeze(0) : waveforms;
  torch::Tensor f = normalized_log_mel(batch);
  const int64_t t = f.size(1);
  const int64_t padded = (t + options_.stride - 1) / options_.stride * options_.stride;
  auto mask_opts = torch::TensorOptions().dtype(torch::kInt64).device(f.device());
  torch::Tensor mask = torch::ones({f.size(0), padded}, mask_opts);
  if (padded != t) {
    f = torch::constant_pad_nd(f, {0, 0, 0, padded - t}, options_.padding_value);
    mask.slice(1, t).zero_();
  }
  return stack_frames(f, mask, options_.stride);
}

SeamlessFeatures SeamlessFbank::operator()(const std::vector<torch::Tensor>& waveforms) const {
  if (waveforms.empty()) throw ShapeError("seamless fbank: empty batch");
  std::vector<torch::Tensor> feats;
  feats.reserve(waveforms.size());
  int64_t longest = 0;
  for (size_t i = 0; i < waveforms.size(); ++i) {
    if (waveforms[i].dim() != 1)
      throw ShapeError("seamless fbank: utterance " + std::to_string(i) +
                       " must be 1-D [N], got rank " + std::to_string(waveforms[i].dim()));
    feats.push_back(normalized_log_mel(waveforms[i].unsqueeze(0)).squeeze(0));  // [T_i, mels]
    longest = std::max(longest, feats.back().size(0));
  }
  const int64_t padded = (longest + options_.stride - 1) / options_.stride * options_.stride;
  const auto dev = feats.front().device();
  torch::Tensor frames = torch::full(
      {static_cast<int64_t>(feats.size()), padded, options_.num_mel_bins}, options_.padding_value,
      torch::TensorOptions().dtype(torch::kFloat32).device(dev));
  torch::Tensor mask = torch::zeros({static_cast<int64_t>(feats.size()), padded},
                                    torch::TensorOptions().dtype(torch::kInt64).device(dev));
  for (size_t i = 0; i < feats.size(); ++i) {
    const int64_t t = feats[i].size(0);
    frames[static_cast<int64_t>(i)].slice(0, 0, t).copy_(feats[i]);
    mask[static_cast<int64_t>(i)].slice(0, 0, t).fill_(1);
  }
  return stack_frames(frames, mask, options_.stride);
}

torch::Tensor xcodec2_pad_to_hop(const torch::Tensor& waveform) {
  if (waveform.dim() < 1)
    throw ShapeError("xcodec2_pad_to_hop: expected [N] or [B, N], got a scalar");
  const int64_t n = waveform.size(-1);
  const int64_t pad = kXcodec2Hop - n % kXcodec2Hop;  // always 1..320
  return torch::constant_pad_nd(waveform, {0, pad}, 0.0);
}

torch::Tensor xcodec2_semantic_pad(const torch::Tensor& aligned_waveform) {
  if (aligned_waveform.dim() < 1)
    throw ShapeError("xcodec2_semantic_pad: expected [N'] or [B, N'], got a scalar");
  const int64_t n = aligned_waveform.size(-1);
  if (n <= 0 || n % kXcodec2Hop != 0)
    throw ShapeError("xcodec2_semantic_pad: waveform length " + std::to_string(n) +
                     " is not a positive multiple of " + std::to_string(kXcodec2Hop) +
                     " (pad it with xcodec2_pad_to_hop first)");
  const int64_t half = kXcodec2Hop / 2;
  return torch::constant_pad_nd(aligned_waveform, {half, half}, 0.0);
}

}  // namespace xcodec::audio
