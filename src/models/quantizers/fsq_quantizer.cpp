#include "xcodec/models/quantizers/fsq_quantizer.h"

#include <torch/torch.h>

#include "models/quantizers/quantizer_common.h"
#include "xcodec/core/error.h"

namespace xcodec::models {

FsqQuantizerImpl::FsqQuantizerImpl(FsqQuantizerOptions options_) : options(std::move(options_)) {
  reset();
}

void FsqQuantizerImpl::reset() {
  if (options.dim < 1)
    throw ConfigError("FSQ: dim must be >= 1, got " + std::to_string(options.dim));
  FsqOptions fo;
  fo.levels = options.levels;
  fo.legacy_bound = options.legacy_bound;
  fsq = register_module("fsq", Fsq(fo));
  if (has_projections()) {
    project_in = register_module("project_in", torch::nn::Linear(options.dim, codebook_dim()));
    project_out = register_module("project_out", torch::nn::Linear(codebook_dim(), options.dim));
  }
}

void FsqQuantizerImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::FsqQuantizer(dim=" << options.dim << ", levels=[";
  for (size_t i = 0; i < options.levels.size(); ++i) stream << (i ? ", " : "") << options.levels[i];
  stream << "]" << (options.legacy_bound ? ", legacy_bound=true" : "") << ")";
}

QuantizerOutput FsqQuantizerImpl::quantize(const torch::Tensor& x) {
  detail::check_quantizer_input(x, options.dim, "FSQ");
  const torch::Tensor h = has_projections() ? project_in->forward(x) : x;
  QuantizerOutput out;
  torch::Tensor codes;
  {
    // FsqImpl::forward upcasts to float32 and casts the codes back to h's dtype.
    detail::NoAutocastScope no_autocast;
    FsqResult r = fsq->forward(h);
    codes = r.codes;
    out.indices = r.indices.unsqueeze(-1);
  }
  out.bound_input = h;
  out.quantized = has_projections() ? project_out->forward(codes) : codes;
  out.loss = detail::zero_loss(x);
  return out;
}

torch::Tensor FsqQuantizerImpl::dequantize(const torch::Tensor& indices) {
  detail::check_quantizer_indices(indices, 1, "FSQ");
  const torch::Tensor codes = fsq->indices_to_codes(indices.select(2, 0));
  if (!has_projections()) return codes;
  return project_out->forward(codes.to(project_out->weight.scalar_type()));
}

}  // namespace xcodec::models
