#include "xcodec/models/quantizers/lfq.h"

#include <torch/torch.h>

#include <algorithm>

#include "models/quantizers/quantizer_common.h"
#include "xcodec/core/error.h"

namespace xcodec::models {

namespace {

constexpr double kEntropyEps = 1e-5;              // clamp inside the log, as the original
constexpr int64_t kChunkProbabilities = 1 << 22;  // 16 MiB of float32 probabilities per chunk

// softmax_k(−τ·||x − c_k||²) == softmax_k(2τ·x·c_k) because every code has the same norm
// (the form the original uses since it dropped the squared distance).
torch::Tensor code_probabilities(const torch::Tensor& x, const torch::Tensor& codebook,
                                 double inv_temperature) {
  return torch::softmax(torch::matmul(x, codebook.t()) * (2.0 * inv_temperature), -1);
}

// Σ_n H(p_n) and Σ_n p_n over tokens x [N, d], chunk by chunk; the backward recomputes each
// chunk's probabilities instead of keeping N·K of them alive between forward and backward.
struct LfqEntropyFunction : public torch::autograd::Function<LfqEntropyFunction> {
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx,
                                                const torch::Tensor& x,
                                                const torch::Tensor& codebook,
                                                double inv_temperature, int64_t chunk) {
    const int64_t n = x.size(0);
    torch::Tensor entropy_sum = torch::zeros({}, x.options());
    torch::Tensor prob_sum = torch::zeros({codebook.size(0)}, x.options());
    for (int64_t start = 0; start < n; start += chunk) {
      const torch::Tensor p = code_probabilities(x.narrow(0, start, std::min(chunk, n - start)),
                                                 codebook, inv_temperature);
      entropy_sum += -(p * torch::log(p.clamp_min(kEntropyEps))).sum();
      prob_sum += p.sum(0);
    }
    ctx->save_for_backward({x, codebook});
    ctx->saved_data["inv_temperature"] = inv_temperature;
    ctx->saved_data["chunk"] = chunk;
    return {entropy_sum / static_cast<double>(n), prob_sum / static_cast<double>(n)};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& x = saved[0];
    const torch::Tensor& codebook = saved[1];
    const double inv_temperature = ctx->saved_data["inv_temperature"].toDouble();
    const int64_t chunk = ctx->saved_data["chunk"].toInt();
    const int64_t n = x.size(0);
    const torch::Tensor g_entropy = grads[0] / static_cast<double>(n);  // scalar
    const torch::Tensor g_prob = grads[1] / static_cast<double>(n);     // [K]
    torch::Tensor gx = torch::empty_like(x);
    for (int64_t start = 0; start < n; start += chunk) {
      const int64_t len = std::min(chunk, n - start);
      const torch::Tensor p =
          code_probabilities(x.narrow(0, start, len), codebook, inv_temperature);
      // d/dp [−p·log(max(p, eps))] = −log(max(p, eps)) − [p ≥ eps] (clamp_min passes its
      // gradient where p ≥ eps, as in PyTorch).
      const torch::Tensor dh =
          -torch::log(p.clamp_min(kEntropyEps)) - (p >= kEntropyEps).to(p.scalar_type());
      const torch::Tensor gp = dh * g_entropy + g_prob;
      const torch::Tensor gl = p * (gp - (p * gp).sum(-1, true));  // softmax backward
      gx.narrow(0, start, len).copy_(torch::matmul(gl, codebook) * (2.0 * inv_temperature));
    }
    return {gx, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

torch::Tensor entropy(const torch::Tensor& p) {
  return -(p * torch::log(p.clamp_min(kEntropyEps))).sum(-1);
}

}  // namespace

std::pair<torch::Tensor, torch::Tensor> lfq_entropy_terms(const torch::Tensor& x,
                                                          const torch::Tensor& codebook,
                                                          double inv_temperature,
                                                          int64_t chunk_tokens) {
  if (chunk_tokens <= 0)
    chunk_tokens = std::max<int64_t>(1, kChunkProbabilities / codebook.size(0));
  const auto r = LfqEntropyFunction::apply(x, codebook, inv_temperature, chunk_tokens);
  return {r[0], r[1]};
}

LfqImpl::LfqImpl(LfqOptions options_) : options(std::move(options_)) { reset(); }

void LfqImpl::reset() {
  const int64_t k = options.codebook_size;
  if (k < 2 || k > (int64_t{1} << 16) || (k & (k - 1)) != 0) {
    throw ConfigError("LFQ: codebook_size must be a power of two in [2, 65536], got " +
                      std::to_string(k));
  }
  if (options.dim < 1)
    throw ConfigError("LFQ: dim must be >= 1, got " + std::to_string(options.dim));
  codebook_dim_ = 0;
  while ((int64_t{1} << codebook_dim_) < k) ++codebook_dim_;
  if (has_projections()) {
    project_in = register_module("project_in", torch::nn::Linear(options.dim, codebook_dim_));
    project_out = register_module("project_out", torch::nn::Linear(codebook_dim_, options.dim));
  }
  // 2^(d-1), ..., 2, 1: dimension 0 is the most significant bit.
  mask = register_buffer(
      "mask",
      torch::pow(2, torch::arange(codebook_dim_ - 1, -1, -1, torch::kLong)).to(torch::kLong));
}

void LfqImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::LFQ(dim=" << options.dim << ", codebook_size=" << options.codebook_size
         << ", entropy_weight=" << options.entropy_weight
         << ", commitment_weight=" << options.commitment_weight
         << ", diversity_gamma=" << options.diversity_gamma
         << ", inv_temperature=" << options.inv_temperature << ")";
}

torch::Tensor LfqImpl::indices_to_codes(const torch::Tensor& indices) const {
  const torch::Tensor bits =
      torch::bitwise_and(torch::div(indices.to(torch::kLong).unsqueeze(-1), mask, "floor"), 1);
  const double s = options.codebook_scale;
  return bits.to(torch::kFloat32) * (2 * s) - s;
}

torch::Tensor LfqImpl::codebook() const {
  return indices_to_codes(torch::arange(options.codebook_size, mask.options()));
}

QuantizerOutput LfqImpl::quantize(const torch::Tensor& x) {
  detail::check_quantizer_input(x, options.dim, "LFQ");
  const torch::Tensor h = has_projections() ? project_in->forward(x) : x;
  QuantizerOutput out;
  torch::Tensor codes;
  {
    detail::NoAutocastScope no_autocast;
    const torch::Tensor z = detail::to_quantizer_precision(h);
    const torch::Tensor bits = z > 0;  // x == 0 → bit 0 → −s
    const double s = options.codebook_scale;
    const torch::Tensor q =
        torch::where(bits, torch::full({}, s, z.options()), torch::full({}, -s, z.options()));
    out.indices = (bits.to(torch::kLong) * mask).sum(-1, true).to(torch::kInt32);
    codes = is_training() ? z + (q - z).detach() : q;
    const torch::Tensor commitment = torch::mse_loss(z, q.detach());
    out.terms["commitment"] = commitment.detach();
    if (is_training()) {
      const torch::Tensor flat = z.reshape({-1, codebook_dim_});
      torch::Tensor cb = codebook().to(flat.dtype());
      auto [per_sample, avg_prob] = lfq_entropy_terms(flat, cb, options.inv_temperature);
      const torch::Tensor codebook_entropy = entropy(avg_prob);
      // Data parallel: the original all-reduces avg_prob (mean over ranks) before the entropy.
      out.terms["entropy_per_sample"] = per_sample.detach();
      out.terms["entropy_codebook"] = codebook_entropy.detach();
      out.loss =
          (per_sample - options.diversity_gamma * codebook_entropy) * options.entropy_weight +
          commitment * options.commitment_weight;
      out.loss = out.loss.to(torch::kFloat32);
    } else {
      out.loss = detail::zero_loss(x);
    }
    codes = codes.to(h.scalar_type());
  }
  out.quantized = has_projections() ? project_out->forward(codes) : codes;
  return out;
}

torch::Tensor LfqImpl::dequantize(const torch::Tensor& indices) {
  detail::check_quantizer_indices(indices, 1, "LFQ");
  const torch::Tensor codes = indices_to_codes(indices.select(2, 0));
  if (!has_projections()) return codes;
  return project_out->forward(codes.to(project_out->weight.scalar_type()));
}

}  // namespace xcodec::models
