#include "xcodec/eval/metrics/codec_stats.h"

#include <torch/torch.h>

#include <cmath>
#include <sstream>

#include "xcodec/core/error.h"

namespace xcodec::eval {

double bitrate_bps(double frame_rate, int64_t codebook_size, int num_quantizers) {
  if (!(frame_rate > 0.0) || codebook_size < 2 || num_quantizers <= 0) {
    std::ostringstream msg;
    msg << "bitrate: need frame_rate > 0, codebook_size >= 2 and num_quantizers > 0 (got "
        << frame_rate << ", " << codebook_size << ", " << num_quantizers << ")";
    throw ConfigError(msg.str());
  }
  return frame_rate * num_quantizers * std::log2(static_cast<double>(codebook_size));
}

double tokens_per_second(double frame_rate, int num_quantizers) {
  if (!(frame_rate > 0.0) || num_quantizers <= 0) {
    std::ostringstream msg;
    msg << "tokens per second: need frame_rate > 0 and num_quantizers > 0 (got " << frame_rate
        << ", " << num_quantizers << ")";
    throw ConfigError(msg.str());
  }
  return frame_rate * num_quantizers;
}

CodeUsage code_usage(const std::vector<int64_t>& counts) {
  CodeUsage u;
  for (int64_t c : counts) {
    if (c < 0) throw ConfigError("code usage: negative histogram count " + std::to_string(c));
    u.total += c;
    if (c > 0) ++u.distinct;
  }
  if (u.total == 0 || counts.empty()) return u;
  u.usage = static_cast<double>(u.distinct) / static_cast<double>(counts.size());
  double h = 0.0;
  for (int64_t c : counts) {
    if (c == 0) continue;
    const double p = static_cast<double>(c) / static_cast<double>(u.total);
    h -= p * std::log2(p);
  }
  u.entropy_bits = h;
  u.perplexity = std::exp2(h);
  u.normalized_entropy =
      counts.size() > 1 ? h / std::log2(static_cast<double>(counts.size())) : 0.0;
  return u;
}

std::vector<std::string> code_usage_warnings(const CodeUsage& pooled, int64_t codebook_size,
                                             double distinct_per_utterance) {
  std::vector<std::string> warnings;
  if (pooled.total == 0) return warnings;
  if (distinct_per_utterance >= 0 && distinct_per_utterance < 2.0) {
    std::ostringstream w;
    w << "codebook collapse: " << distinct_per_utterance
      << " distinct codes per utterance on average (one code for every frame transmits "
         "nothing; see docs/training.md, Training health)";
    warnings.push_back(w.str());
  }
  if (pooled.usage < 0.01) {
    std::ostringstream w;
    w << "codebook usage " << 100.0 * pooled.usage << " % (" << pooled.distinct << " of "
      << codebook_size << " codes) is below 1 %";
    if (pooled.total < codebook_size) {
      w << "; only " << pooled.total
        << " codes were emitted in all, evaluate more audio for a meaningful figure";
    }
    warnings.push_back(w.str());
  }
  return warnings;
}

double distinct_codes_per_quantizer(const torch::Tensor& codes) {
  const torch::Tensor c = codes.dim() == 1 ? codes.view({1, -1}) : codes;
  if (c.dim() != 2 || c.size(1) == 0) return 0.0;
  double sum = 0;
  for (int64_t q = 0; q < c.size(0); ++q) {
    sum += static_cast<double>(std::get<0>(torch::_unique(c[q])).numel());
  }
  return sum / static_cast<double>(c.size(0));
}

CodeHistogram::CodeHistogram(int num_quantizers, int64_t codebook_size)
    : codebook_size_(codebook_size) {
  if (num_quantizers <= 0 || codebook_size <= 0) {
    std::ostringstream msg;
    msg << "code histogram: num_quantizers and codebook_size must be positive (got "
        << num_quantizers << ", " << codebook_size << ")";
    throw ConfigError(msg.str());
  }
  counts_.assign(num_quantizers, std::vector<int64_t>(codebook_size, 0));
}

void CodeHistogram::add(const torch::Tensor& codes) {
  const int nq = num_quantizers();
  if (!codes.defined() || !c10::isIntegralType(codes.scalar_type(), /*includeBool=*/false)) {
    throw ShapeError("code histogram: codes must be an integer tensor, got " +
                     (codes.defined() ? std::string(c10::toString(codes.scalar_type()))
                                      : std::string("an undefined tensor")));
  }
  torch::Tensor c = codes;
  if (c.dim() == 1 && nq == 1) c = c.unsqueeze(0);
  if (c.dim() != 2 || c.size(0) != nq) {
    std::ostringstream msg;
    msg << "code histogram: expected codes of shape [" << nq << ", frames], got " << codes.sizes();
    throw ShapeError(msg.str());
  }
  c = c.to(torch::kCPU, torch::kInt64).contiguous();
  if (c.numel() > 0) {
    const int64_t lo = c.min().item<int64_t>(), hi = c.max().item<int64_t>();
    if (lo < 0 || hi >= codebook_size_) {
      std::ostringstream msg;
      msg << "code histogram: codes must lie in [0, " << codebook_size_ << "), found "
          << (lo < 0 ? lo : hi);
      throw ShapeError(msg.str());
    }
  }
  const int64_t frames = c.size(1);
  const int64_t* data = c.data_ptr<int64_t>();
  for (int q = 0; q < nq; ++q) {
    auto& hist = counts_[q];
    for (int64_t t = 0; t < frames; ++t) ++hist[data[q * frames + t]];
  }
}

void CodeHistogram::merge(const CodeHistogram& other) {
  if (other.num_quantizers() != num_quantizers() || other.codebook_size_ != codebook_size_) {
    std::ostringstream msg;
    msg << "code histogram: cannot merge a [" << other.num_quantizers() << " x "
        << other.codebook_size_ << "] histogram into a [" << num_quantizers() << " x "
        << codebook_size_ << "] one";
    throw ConfigError(msg.str());
  }
  for (size_t q = 0; q < counts_.size(); ++q)
    for (int64_t k = 0; k < codebook_size_; ++k) counts_[q][k] += other.counts_[q][k];
}

const std::vector<int64_t>& CodeHistogram::counts(int quantizer) const {
  if (quantizer < 0 || quantizer >= num_quantizers())
    throw ConfigError("code histogram: quantizer index " + std::to_string(quantizer) +
                      " out of range [0, " + std::to_string(num_quantizers()) + ")");
  return counts_[quantizer];
}

CodeUsage CodeHistogram::usage(int quantizer) const { return code_usage(counts(quantizer)); }

CodeUsage CodeHistogram::pooled_usage() const {
  std::vector<int64_t> pooled(codebook_size_, 0);
  for (const auto& hist : counts_)
    for (int64_t k = 0; k < codebook_size_; ++k) pooled[k] += hist[k];
  return code_usage(pooled);
}

}  // namespace xcodec::eval
