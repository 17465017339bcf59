#pragma once
/// Codec statistics: bitrate and token rate from the codec's shape, and codebook usage,
/// entropy and perplexity from histograms of the codes it emitted.
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace xcodec::eval {

/// Bits per second of a codec emitting `num_quantizers` codes from a `codebook_size`-entry
/// codebook at `frame_rate` frames/s: frame_rate × num_quantizers × log2(codebook_size).
/// X-Codec-2.0: 50 × 1 × log2(65536) = 800 b/s. Throws ConfigError on non-positive inputs.
double bitrate_bps(double frame_rate, int64_t codebook_size, int num_quantizers);

/// Tokens per second: frame_rate × num_quantizers.
double tokens_per_second(double frame_rate, int num_quantizers);

/// Statistics of one histogram of code indices (one quantizer, or all pooled).
struct CodeUsage {
  int64_t total = 0;                // codes counted
  int64_t distinct = 0;             // codebook entries used at least once
  double usage = 0.0;               // distinct / codebook_size, in [0, 1]
  double entropy_bits = 0.0;        // -Σ p log2 p over used entries, bits per code
  double perplexity = 0.0;          // 2^entropy_bits: the effective number of equally used codes
  double normalized_entropy = 0.0;  // entropy_bits / log2(codebook_size), in [0, 1]
};

/// Statistics of a histogram of `counts.size()` codebook entries (counts >= 0). An empty
/// histogram (total 0) gives all zeros.
CodeUsage code_usage(const std::vector<int64_t>& counts);

/// Warnings about a codec's code usage, empty when healthy: usage below 1 % of the codebook
/// (noting when fewer codes were emitted than the codebook holds, so 1 % was out of reach), and
/// collapse when utterances carry fewer than 2 distinct codes on average (one code per frame
/// transmits nothing). `distinct_per_utterance` < 0 = unknown.
std::vector<std::string> code_usage_warnings(const CodeUsage& pooled, int64_t codebook_size,
                                             double distinct_per_utterance);

/// Distinct codes of one utterance's codes [Q, frames] (or [frames]), averaged over quantizers.
double distinct_codes_per_quantizer(const torch::Tensor& codes);

/// Accumulates code histograms over many files, one per quantizer. Not thread-safe: use one per
/// thread and merge(), or lock around add().
class CodeHistogram {
 public:
  /// Throws ConfigError if either argument is not positive.
  CodeHistogram(int num_quantizers, int64_t codebook_size);

  /// Counts the codes of one utterance: an integer tensor [num_quantizers, frames] (or
  /// [frames] when num_quantizers == 1), any device. Throws ShapeError on a wrong shape,
  /// dtype (not integral) or a code outside [0, codebook_size).
  void add(const torch::Tensor& codes);
  /// Adds another histogram of the same shape (throws ConfigError otherwise).
  void merge(const CodeHistogram& other);

  int num_quantizers() const { return static_cast<int>(counts_.size()); }
  int64_t codebook_size() const { return codebook_size_; }
  /// Counts of quantizer q (size codebook_size).
  const std::vector<int64_t>& counts(int quantizer) const;
  /// Usage statistics of quantizer q.
  CodeUsage usage(int quantizer) const;
  /// Usage statistics of all quantizers pooled into one histogram.
  CodeUsage pooled_usage() const;

 private:
  int64_t codebook_size_;
  std::vector<std::vector<int64_t>> counts_;
};

}  // namespace xcodec::eval
