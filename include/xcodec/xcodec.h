#pragma once
/// xcodec: neural speech codecs (X-Codec-2.0, DwanCodec) — the public inference API. LibTorch
/// stays hidden.
///
///   #include <xcodec/xcodec.h>
///
///   auto codec = xcodec::Codec::load("model.safetensors");   // `xcodec export` output or the
///                                                             // released X-Codec-2.0 weights
///   xcodec::Codes codes = codec->encode(samples, 44100);      // any rate; resampled to 16 kHz
///   std::vector<float> audio = codec->decode(codes);          // codec->sample_rate() Hz
///   // codes.data is int32 [num_quantizers x frames] (row-major), codes.frame_rate tokens/s
///
///   auto stream = codec->stream_decoder();                    // bounded-latency decoding
///   for (const xcodec::Codes& chunk : chunks) play(stream.push(chunk));
///   play(stream.finish());
///
/// A loaded Codec is immutable: concurrent calls on one instance from several threads are safe.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "xcodec/core/error.h"

namespace xcodec {

/// Discrete tokens of one utterance.
struct Codes {
  std::vector<int32_t> data;   ///< [num_quantizers x frames], row-major
  int64_t num_quantizers = 1;  ///< codebooks per frame (1 for X-Codec-2.0)
  int64_t frames = 0;          ///< tokens per codebook
  double frame_rate = 0;       ///< frames per second (50 for X-Codec-2.0)
  int32_t at(int64_t q, int64_t t) const { return data.at(static_cast<size_t>(q * frames + t)); }
};

struct CodecOptions {
  std::string device = "cpu";  ///< "cpu", "cuda" or "cuda:N"
  /// Folder of the w2v-BERT 2.0 teacher (config.json + model.safetensors) for encoding, when the
  /// weights file does not carry it under `semantic_model.` (decoding never needs it).
  std::string teacher;
  int num_threads = 0;  ///< intra-op threads for CPU inference; 0 = LibTorch's default
  /// "fp32" (default; the parity-tested path), "bf16" or "auto". bf16: the big convolutions and
  /// matrix products run in bfloat16 with float32 accumulation, about twice as fast on CPUs
  /// with AVX512-BF16 or AMX and on recent GPUs; tokens can differ from fp32's. Where the CPU
  /// would only emulate bf16 (20-70x slower), "bf16" runs fp32 and logs a warning. "auto": bf16
  /// where it is native and a short probe measures it faster, fp32 elsewhere.
  std::string precision = "fp32";
  /// Load only what decode() needs (X-Codec-2.0: no encoder or semantic branch, about half
  /// the memory); encode() and reconstruct() then throw.
  bool decode_only = false;
  /// Load only what encode() needs (X-Codec-2.0: no decoder backbone or head, about a third of
  /// the full model's weights); decode() and reconstruct() then throw.
  bool encode_only = false;
};

class StreamingDecoder;

class Codec : public std::enable_shared_from_this<Codec> {
 public:
  /// Loads a safetensors file; the model config comes from its metadata (exported files) or is
  /// the X-Codec-2.0 default (the released file). Throws CheckpointError/ConfigError/IoError.
  static std::shared_ptr<const Codec> load(const std::string& path,
                                           const CodecOptions& options = {});
  ~Codec();
  Codec(const Codec&) = delete;
  Codec& operator=(const Codec&) = delete;

  /// Mono samples at `sample_rate` Hz → codes. The model appends 1..hop zeros (as the original),
  /// so frames = floor(N'/hop) + 1 where N' is the length at the model's rate.
  Codes encode(const std::vector<float>& samples, int sample_rate) const;
  /// Several utterances; each item's codes equal those it gets alone (items of equal padded
  /// length share one forward pass).
  std::vector<Codes> encode_batch(const std::vector<std::vector<float>>& utterances,
                                  int sample_rate) const;
  /// Codes → samples at sample_rate(): hop samples per frame (one hop fewer in all for
  /// centre-mode decoders such as DwanCodec's); the encoder's padding is not trimmed.
  std::vector<float> decode(const Codes& codes) const;
  std::vector<std::vector<float>> decode_batch(const std::vector<Codes>& codes) const;
  /// Encode then decode, resampled back: exactly the input's length at the input's rate.
  std::vector<float> reconstruct(const std::vector<float>& samples, int sample_rate) const;
  /// Decoder for codes arriving in pieces (see StreamingDecoder).
  StreamingDecoder stream_decoder(int64_t left_context_frames = 100,
                                  int64_t lookahead_frames = 25) const;

  int sample_rate() const;
  double frame_rate() const;
  int64_t hop_length() const;
  int64_t codebook_size() const;
  int64_t num_quantizers() const;
  /// Whether encode() can run (a semantic teacher is available or the model needs none).
  bool can_encode() const;
  /// The codec family ("xcodec2", "dwan").
  std::string model_name() const;
  /// Its quantizer ("fsq", "lfq", "ema", "vq").
  std::string quantizer_kind() const;
  /// The compute precision that runs ("fp32" or "bf16"), after CodecOptions::precision was
  /// resolved for this hardware, and why (one line).
  std::string compute_precision() const;
  std::string compute_precision_reason() const;

  struct Impl;

 private:
  explicit Codec(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend class StreamingDecoder;
};

/// Decodes codes fed chunk by chunk with bounded latency: audio for a frame is released once
/// `lookahead_frames` later frames have arrived, computed over a window that also includes
/// `left_context_frames` earlier frames. The decoder's transformer attends over its whole input,
/// so the streamed audio approximates one-shot decode(): identical with unlimited context, and
/// with the defaults (2 s left, 0.5 s latency) the difference energy measured on the tiny test
/// model is 3 % of the signal's (docs/inference.md).
class StreamingDecoder {
 public:
  /// Appends frames; returns the newly final samples (possibly none).
  std::vector<float> push(const Codes& chunk);
  /// Flushes the remaining frames (end of stream).
  std::vector<float> finish();
  int64_t latency_frames() const { return lookahead_; }

 private:
  friend class Codec;
  StreamingDecoder(std::shared_ptr<const Codec> codec, int64_t left_context, int64_t lookahead);
  std::vector<float> emit(int64_t until_frame, bool final);
  std::shared_ptr<const Codec> codec_;
  int64_t left_context_;
  int64_t lookahead_;
  std::vector<int32_t> frames_;  // all frames so far (single quantizer rows interleaved per frame)
  int64_t num_quantizers_ = 1;
  int64_t emitted_frames_ = 0;
};

}  // namespace xcodec
