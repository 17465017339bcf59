#include "xcodec/models/quantizers/vector_quantizer.h"

#include <torch/torch.h>

#include "models/quantizers/quantizer_common.h"
#include "xcodec/core/error.h"

namespace xcodec::models {

namespace {

// n rows of z [N, D]: without replacement when N ≥ n, else with (lucidrains sample_vectors).
torch::Tensor sample_vectors(const torch::Tensor& z, int64_t n) {
  const int64_t available = z.size(0);
  const auto long_opts = torch::TensorOptions().dtype(torch::kLong).device(z.device());
  const torch::Tensor rows = available >= n ? torch::randperm(available, long_opts).narrow(0, 0, n)
                                            : torch::randint(available, {n}, long_opts);
  return z.index_select(0, rows);
}

}  // namespace

VectorQuantizerImpl::VectorQuantizerImpl(VectorQuantizerOptions options_)
    : options(std::move(options_)) {
  reset();
}

void VectorQuantizerImpl::reset() {
  const auto& o = options;
  const std::string who = o.ema ? "EMA-VQ" : "VQ";
  if (o.dim < 1 || o.codebook_size < 1 || o.codebook_dim < 1) {
    throw ConfigError(who + ": dim, codebook_size and codebook_dim must be >= 1");
  }
  if (!(o.decay > 0 && o.decay < 1)) {
    throw ConfigError(who + ": decay must be in (0, 1), got " + std::to_string(o.decay));
  }
  if (has_projections()) {
    project_in = register_module("project_in", torch::nn::Linear(o.dim, o.codebook_dim));
    project_out = register_module("project_out", torch::nn::Linear(o.codebook_dim, o.dim));
  }
  torch::Tensor e = torch::empty({o.codebook_size, o.codebook_dim});
  torch::nn::init::kaiming_uniform_(e);
  if (o.ema) {
    embed = register_buffer("embed", e);
  } else {
    embed = register_parameter("embed", e);
  }
  cluster_size = register_buffer("cluster_size", torch::zeros({o.codebook_size}));
  if (o.ema) embed_avg = register_buffer("embed_avg", e.clone());
  initted = register_buffer("initted", torch::zeros({1}));
}

void VectorQuantizerImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::VectorQuantizer(kind=" << kind() << ", dim=" << options.dim
         << ", codebook_size=" << options.codebook_size << ", codebook_dim=" << options.codebook_dim
         << ", commitment_weight=" << options.commitment_weight << ", decay=" << options.decay;
  if (options.ema) stream << ", eps=" << options.eps;
  stream << ", dead_code_threshold=" << options.dead_code_threshold << ")";
}

void VectorQuantizerImpl::replace_codes(const torch::Tensor& z, const torch::Tensor& which,
                                        double size) {
  torch::NoGradGuard no_grad;
  const torch::Tensor rows = which.nonzero().squeeze(1);
  const int64_t n = rows.size(0);
  if (n == 0) return;
  const torch::Tensor fresh = sample_vectors(z, n).to(embed.scalar_type());
  embed.index_copy_(0, rows, fresh);
  cluster_size.index_fill_(0, rows, size);
  if (options.ema) embed_avg.index_copy_(0, rows, fresh * size);
}

void VectorQuantizerImpl::update_statistics(const torch::Tensor& z, const torch::Tensor& idx) {
  torch::NoGradGuard no_grad;
  const double decay = options.decay;
  const int64_t k = options.codebook_size;
  const torch::Tensor counts =
      torch::zeros({k}, z.options()).index_add_(0, idx, torch::ones({idx.size(0)}, z.options()));
  // Data parallel: `counts` and (below) `sums` are what would be all-reduced (summed) across
  // ranks here when a process group is active, so that every rank applies the same update
  // (spec §3.2). Not done yet: each rank currently keeps its own statistics.
  cluster_size.mul_(decay).add_(counts, 1 - decay);
  if (!options.ema) return;  // vq: usage counts only, for dead-code replacement
  const torch::Tensor sums = torch::zeros({k, z.size(1)}, z.options()).index_add_(0, idx, z);
  embed_avg.mul_(decay).add_(sums, 1 - decay);
  const torch::Tensor total = cluster_size.sum();
  const torch::Tensor smoothed =
      (cluster_size + options.eps) / (total + static_cast<double>(k) * options.eps) * total;
  embed.copy_(embed_avg / smoothed.unsqueeze(1));
}

int64_t VectorQuantizerImpl::expire_codes(const torch::Tensor& z) {
  if (options.dead_code_threshold <= 0) return 0;
  const torch::Tensor expired = cluster_size < options.dead_code_threshold;
  const int64_t n = expired.sum().item<int64_t>();
  if (n > 0) replace_codes(z, expired, options.dead_code_threshold);
  return n;
}

QuantizerOutput VectorQuantizerImpl::quantize(const torch::Tensor& x) {
  const std::string who = options.ema ? "EMA-VQ" : "VQ";
  detail::check_quantizer_input(x, options.dim, who);
  const torch::Tensor h = has_projections() ? project_in->forward(x) : x;
  QuantizerOutput out;
  torch::Tensor codes;
  {
    detail::NoAutocastScope no_autocast;
    const torch::Tensor ze = detail::to_quantizer_precision(h);
    const torch::Tensor flat = ze.reshape({-1, options.codebook_dim});
    if (is_training() && initted.item<double>() == 0) {
      replace_codes(flat.detach(),
                    torch::ones({options.codebook_size}, torch::kBool).to(embed.device()),
                    options.dead_code_threshold > 0 ? options.dead_code_threshold : 1.0);
      torch::NoGradGuard no_grad;
      initted.fill_(1);
    }
    const torch::Tensor e = embed.to(flat.scalar_type());
    // argmin_k ||z − e_k||² = argmin_k (||e_k||² − 2 z·e_k); ||z||² is the same for every k.
    torch::Tensor idx;
    {
      torch::NoGradGuard no_grad;
      const torch::Tensor dist = e.pow(2).sum(1).unsqueeze(0) - 2 * torch::matmul(flat, e.t());
      idx = dist.argmin(1);
    }
    const torch::Tensor zq_flat = e.index_select(0, idx);  // gradient to embed (vq)
    const torch::Tensor zq = zq_flat.view(ze.sizes());
    out.indices = idx.to(torch::kInt32).view({ze.size(0), ze.size(1), 1});

    const torch::Tensor commitment = torch::mse_loss(ze, zq.detach());
    out.terms["commitment"] = commitment.detach();
    torch::Tensor codebook_loss;
    if (!options.ema) {
      codebook_loss = torch::mse_loss(zq, ze.detach());
      out.terms["codebook"] = codebook_loss.detach();
    }
    {
      torch::NoGradGuard no_grad;
      const torch::Tensor usage =
          torch::bincount(idx, {}, options.codebook_size).to(torch::kFloat32) / idx.size(0);
      out.terms["perplexity"] = torch::exp(-(usage * torch::log(usage + 1e-10)).sum());
    }
    if (is_training()) {
      update_statistics(flat.detach(), idx);
      const int64_t replaced = expire_codes(flat.detach());
      out.terms["dead_codes_replaced"] =
          torch::full({}, static_cast<double>(replaced), torch::kFloat32);
      out.loss = commitment * options.commitment_weight;
      if (!options.ema) out.loss = out.loss + codebook_loss;
      out.loss = out.loss.to(torch::kFloat32);
      codes = ze + (zq - ze).detach();
    } else {
      out.loss = detail::zero_loss(x);
      codes = zq;
    }
    codes = codes.to(h.scalar_type());
  }
  out.quantized = has_projections() ? project_out->forward(codes) : codes;
  return out;
}

torch::Tensor VectorQuantizerImpl::dequantize(const torch::Tensor& indices) {
  detail::check_quantizer_indices(indices, 1, options.ema ? "EMA-VQ" : "VQ");
  const torch::Tensor codes =
      embed.index_select(0, indices.select(2, 0).reshape({-1}).to(torch::kLong))
          .view({indices.size(0), indices.size(1), options.codebook_dim});
  if (!has_projections()) return codes;
  return project_out->forward(codes.to(project_out->weight.scalar_type()));
}

}  // namespace xcodec::models
