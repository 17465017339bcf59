#pragma once
/// SeamlessM4T filter-bank features, the input of the w2v-BERT 2.0 semantic teacher.
///
/// Reproduces transformers' `SeamlessM4TFeatureExtractor` with the settings of
/// facebook/w2v-bert-2.0 (spec: shared/spec/semantic-teacher.md §1):
///   x * 32768 → 400-sample frames every 160 samples (Kaldi snip_edges, no centring) →
///   per-frame DC removal → pre-emphasis 0.97 (first sample × 0.03) → symmetric Povey window →
///   512-point rFFT power → 80 Kaldi-mel triangles (20 Hz .. 8 kHz, built in mel space) →
///   ln(max(·, 1.1920929e-7)) → per-mel-bin mean/variance normalisation over the utterance's frames
///   (unbiased variance, + 1e-7) → right-pad with 1.0 to an even frame count → stack frame pairs
///   into 160-dim vectors.
/// Framing, FFT, mel projection and log run in float64 like the reference; normalisation in
/// float32. Everything is batched tensor code and runs on the device of the input.
///
/// Usage (X-Codec-2.0 alignment, spec xcodec2.md §2.1):
///   auto wav = xcodec::audio::xcodec2_pad_to_hop(raw);            // [B, N'], N' % 320 == 0
///   xcodec::audio::SeamlessFbank fbank;
///   auto feats = fbank(xcodec::audio::xcodec2_semantic_pad(wav));  // input_features [B, N'/320,
///   160]
#include <torch/types.h>

#include <string>
#include <vector>

namespace xcodec::audio {

/// Parameters of the extractor; defaults are those of facebook/w2v-bert-2.0.
struct SeamlessFbankOptions {
  int64_t sample_rate = 16000;               ///< Hz; input must already be at this rate
  int64_t num_mel_bins = 80;                 ///< mel filters per frame
  int64_t frame_length = 400;                ///< samples per analysis frame (25 ms)
  int64_t frame_shift = 160;                 ///< samples between frames (10 ms)
  int64_t fft_size = 512;                    ///< rFFT length (frames are zero-padded to it)
  double preemphasis = 0.97;                 ///< pre-emphasis coefficient
  double low_freq = 20.0;                    ///< Hz, lower edge of the first mel triangle
  double high_freq = 8000.0;                 ///< Hz, upper edge of the last mel triangle
  double input_scale = 32768.0;              ///< waveform multiplier (int16 range, no rounding)
  double log_floor = 1.192092955078125e-07;  ///< floor of the mel energies before ln
  double norm_eps = 1e-7;                    ///< added to the per-bin variance before sqrt
  int64_t stride = 2;                        ///< frames stacked into one output vector
  double padding_value = 1.0;                ///< value of padded frames (after normalisation)
  bool normalize = true;                     ///< per-mel-bin mean/variance normalisation

  /// Throws ConfigError naming the offending field.
  void validate() const;
  /// Reads a HF `preprocessor_config.json` (feature_size/num_mel_bins, sampling_rate, stride,
  /// padding_value, padding_side). Unknown keys are ignored; a value this extractor cannot honour
  /// (e.g. padding_side "left") throws ConfigError naming the key and the file.
  static SeamlessFbankOptions from_preprocessor_config(const std::string& path);
};

/// Output of the extractor.
struct SeamlessFeatures {
  torch::Tensor input_features;  ///< [B, T2, num_mel_bins * stride] float32, T2 = ceil(T / stride)
  torch::Tensor attention_mask;  ///< [B, T2] int64; mask of each group's frame index % stride == 1
                                 ///< (stride 2: the second, i.e. last, frame)
};

/// The SeamlessM4T feature extractor. Cheap to copy; holds the window and mel matrix (float64, CPU;
/// moved to the input's device on use).
class SeamlessFbank {
 public:
  explicit SeamlessFbank(SeamlessFbankOptions options = {});

  const SeamlessFbankOptions& options() const { return options_; }
  /// Number of 10 ms frames of an n-sample waveform (Kaldi snip_edges); 0 if n < frame_length.
  int64_t num_frames(int64_t num_samples) const;
  /// Number of stacked output frames of an n-sample waveform (odd frame counts get one padding
  /// frame).
  int64_t num_output_frames(int64_t num_samples) const;

  /// Symmetric Povey window [frame_length] float64: (0.5 - 0.5 cos(2πn/(L-1)))^0.85.
  const torch::Tensor& window() const { return window_; }
  /// Mel weights [fft_size/2 + 1, num_mel_bins] float64 (Kaldi mel scale, triangles in mel space,
  /// no area normalisation; the Nyquist row is zero).
  const torch::Tensor& mel_filters() const { return mel_filters_; }

  /// Log-mel filter bank before normalisation: [N] → [T, num_mel_bins] or [B, N] → [B, T, mel],
  /// float32. Throws ShapeError if N < frame_length.
  torch::Tensor log_mel(const torch::Tensor& waveform) const;

  /// Features of equal-length utterances [B, N] (or one utterance [N], treated as B = 1).
  /// Each row is normalised with its own statistics; the output frame count is
  /// num_output_frames(N) and the attention mask is all ones except a half-padded last frame.
  SeamlessFeatures operator()(const torch::Tensor& waveforms) const;

  /// Features of a batch of 1-D utterances of different lengths, padded like the reference
  /// (`padding="longest"`, `pad_to_multiple_of=stride`, right side, padding_value) with the
  /// frame-level mask reduced to the stacked frames by keeping frame indices with index % stride ==
  /// 1 (the reference rule).
  SeamlessFeatures operator()(const std::vector<torch::Tensor>& waveforms) const;

 private:
  /// Normalised (if enabled) log-mel of a [B, N] batch: [B, T, mel] float32.
  torch::Tensor normalized_log_mel(const torch::Tensor& batch) const;

  SeamlessFbankOptions options_;
  torch::Tensor window_;
  torch::Tensor mel_filters_;
};

/// Hop of X-Codec-2.0's acoustic encoder and of the stacked semantic features (samples, 50 Hz).
inline constexpr int64_t kXcodec2Hop = 320;

/// X-Codec-2.0 input padding (xcodec2.md §2.1): right-pads the last dim with
/// p = 320 - (N mod 320) zeros, ALWAYS 1..320 (a full 320 when N is already a multiple), so the
/// result has N' = 320 * (floor(N/320) + 1) samples. [N] or [B, N] in, same rank out.
torch::Tensor xcodec2_pad_to_hop(const torch::Tensor& waveform);

/// The semantic input of X-Codec-2.0: 160 zeros on each side of the 320-aligned waveform
/// [.., N'] → [.., N' + 320]. With N' a multiple of 320 the extractor then yields exactly N'/320
/// stacked frames. Throws ShapeError if N' is not a positive multiple of 320.
torch::Tensor xcodec2_semantic_pad(const torch::Tensor& aligned_waveform);

}  // namespace xcodec::audio
