#include "xcodec/models/quantizers/residual_fsq.h"

#include <torch/torch.h>

#include "xcodec/core/error.h"

namespace xcodec::models {

ResidualFsqImpl::ResidualFsqImpl(ResidualFsqOptions options_) : options(std::move(options_)) {
  reset();
}

void ResidualFsqImpl::reset() {
  if (options.num_quantizers < 1) {
    throw ConfigError("ResidualFSQ: num_quantizers must be >= 1, got " +
                      std::to_string(options.num_quantizers));
  }
  const int64_t d = codebook_dim();
  if (has_projections()) {
    project_in = register_module("project_in", torch::nn::Linear(options.dim, d));
    project_out = register_module("project_out", torch::nn::Linear(d, options.dim));
  }
  layers = register_module("layers", torch::nn::ModuleList());
  FsqOptions fo;
  fo.levels = options.levels;
  for (int64_t q = 0; q < options.num_quantizers; ++q) layers->push_back(Fsq(fo));
  // scales[q] = (levels - 1) ** -q, float32, as in 1.17.8.
  const torch::Tensor levels_f = torch::tensor(options.levels, torch::kLong).to(torch::kFloat32);
  std::vector<torch::Tensor> scales;
  for (int64_t q = 0; q < options.num_quantizers; ++q)
    scales.push_back(torch::pow(levels_f - 1, static_cast<double>(-q)));
  scales_ = register_buffer("_scales", torch::stack(scales));
}

void ResidualFsqImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::ResidualFSQ(dim=" << options.dim << ", levels=[";
  for (size_t i = 0; i < options.levels.size(); ++i) stream << (i ? ", " : "") << options.levels[i];
  stream << "], num_quantizers=" << options.num_quantizers << ")";
}

int64_t ResidualFsqImpl::codebook_size() const {
  int64_t n = 1;
  for (const int64_t l : options.levels) n *= l;
  return n;
}

ResidualFsqOutput ResidualFsqImpl::forward(const torch::Tensor& x) {
  if (x.dim() != 3 || x.size(2) != options.dim) {
    throw ShapeError("ResidualFSQ: expected [B, T, " + std::to_string(options.dim) + "], got " +
                     c10::str(x.sizes()));
  }
  ResidualFsqOutput out;
  out.projected = has_projections() ? project_in->forward(x) : x;
  // The outer bound of 1.12.5–1.18.4: every layer then bounds again inside FSQ.
  auto* first = layers[0]->as<Fsq>();
  out.bounded = first->bound(out.projected);
  torch::Tensor residual = out.bounded;
  torch::Tensor summed;
  std::vector<torch::Tensor> all_indices;
  for (int64_t q = 0; q < options.num_quantizers; ++q) {
    const torch::Tensor scale = scales_[q];
    FsqResult r = layers[q]->as<Fsq>()->forward(residual / scale);
    const torch::Tensor quantized = r.codes * scale;
    residual = residual - quantized.detach();
    summed = summed.defined() ? summed + quantized : quantized;
    all_indices.push_back(r.indices);
  }
  out.codes = summed;
  out.indices = torch::stack(all_indices, -1);
  out.quantized = has_projections() ? project_out->forward(summed) : summed;
  return out;
}

QuantizerOutput ResidualFsqImpl::quantize(const torch::Tensor& x) {
  ResidualFsqOutput r = forward(x);
  QuantizerOutput out;
  out.quantized = r.quantized;
  out.indices = r.indices;
  out.loss = torch::zeros({}, x.options().dtype(torch::kFloat32));
  out.bound_input = r.projected;
  return out;
}

torch::Tensor ResidualFsqImpl::dequantize(const torch::Tensor& indices) {
  return get_output_from_indices(indices);
}

torch::Tensor ResidualFsqImpl::get_codes_from_indices(const torch::Tensor& indices) {
  if (indices.dim() != 3 || indices.size(2) > options.num_quantizers) {
    throw ShapeError(
        "ResidualFSQ: expected indices [B, T, Q<=" + std::to_string(options.num_quantizers) +
        "], got " + c10::str(indices.sizes()));
  }
  torch::Tensor summed;
  for (int64_t q = 0; q < indices.size(2); ++q) {
    const torch::Tensor idx = indices.select(2, q);
    const torch::Tensor mask = (idx == -1).unsqueeze(-1);
    torch::Tensor codes = layers[q]->as<Fsq>()->indices_to_codes(idx.clamp_min(0));
    codes = codes.masked_fill(mask, 0.0) * scales_[q];
    summed = summed.defined() ? summed + codes : codes;
  }
  return summed;
}

torch::Tensor ResidualFsqImpl::get_output_from_indices(const torch::Tensor& indices) {
  const torch::Tensor codes = get_codes_from_indices(indices);
  return has_projections() ? project_out->forward(codes) : codes;
}

}  // namespace xcodec::models
