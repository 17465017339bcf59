#include "xcodec/models/quantizers/fsq.h"

#include <torch/torch.h>

#include "xcodec/core/error.h"

namespace xcodec::models {

FsqImpl::FsqImpl(FsqOptions options_) : options(std::move(options_)) { reset(); }

void FsqImpl::reset() {
  if (options.levels.empty()) throw ConfigError("FSQ: levels must not be empty");
  std::vector<int64_t> basis;
  int64_t acc = 1;
  for (const int64_t l : options.levels) {
    if (l < 2) throw ConfigError("FSQ: every level must be >= 2, got " + std::to_string(l));
    basis.push_back(acc);
    acc *= l;
  }
  const auto i32 = torch::TensorOptions().dtype(torch::kInt32);
  levels_ = register_buffer("_levels", torch::tensor(options.levels, torch::kLong).to(i32.dtype()));
  basis_ = register_buffer("_basis", torch::tensor(basis, torch::kLong).to(i32.dtype()));
  // Same tensor arithmetic (and float32 rounding) as FSQ.bound() in 1.17.8; the legacy bound
  // (< 1.12.4) differs only in the sign of eps and tan for atanh.
  const double margin = options.legacy_bound ? 1 - options.eps : 1 + options.eps;
  half_l_ = register_buffer("_half_l", (levels_ - 1) * margin / 2);
  offset_ = register_buffer("_offset", (levels_.remainder(2) == 0).to(torch::kFloat32) * 0.5);
  shift_ = register_buffer("_shift", options.legacy_bound ? torch::tan(offset_ / half_l_)
                                                          : torch::atanh(offset_ / half_l_));
  half_width_ = register_buffer("_half_width", torch::div(levels_, 2, "floor"));
}

void FsqImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::FSQ(levels=[";
  for (size_t i = 0; i < options.levels.size(); ++i) stream << (i ? ", " : "") << options.levels[i];
  stream << "]" << (options.legacy_bound ? ", legacy_bound=true" : "") << ")";
}

int64_t FsqImpl::codebook_size() const {
  int64_t n = 1;
  for (const int64_t l : options.levels) n *= l;
  return n;
}

torch::Tensor FsqImpl::bound(const torch::Tensor& z) const {
  return torch::tanh(z + shift_) * half_l_ - offset_;
}

torch::Tensor FsqImpl::quantize(const torch::Tensor& z) const {
  const torch::Tensor b = bound(z);
  const torch::Tensor q = b + (torch::round(b) - b).detach();  // straight-through round
  return q / half_width_;
}

torch::Tensor FsqImpl::codes_to_indices(const torch::Tensor& codes) const {
  if (codes.size(-1) != codebook_dim()) {
    throw ShapeError("FSQ: codes must end in " + std::to_string(codebook_dim()) + ", got " +
                     c10::str(codes.sizes()));
  }
  const torch::Tensor level_idx = codes * half_width_ + half_width_;
  return (level_idx * basis_).sum(-1).to(torch::kInt32);
}

torch::Tensor FsqImpl::indices_to_codes(const torch::Tensor& indices) const {
  const torch::Tensor idx = indices.to(torch::kInt64).unsqueeze(-1);
  const torch::Tensor level_idx = torch::remainder(
      torch::div(idx, basis_.to(torch::kInt64), "floor"), levels_.to(torch::kInt64));
  return (level_idx - half_width_) / half_width_;
}

FsqResult FsqImpl::forward(const torch::Tensor& z) {
  if (z.size(-1) != codebook_dim()) {
    throw ShapeError("FSQ: input must end in " + std::to_string(codebook_dim()) + ", got " +
                     c10::str(z.sizes()));
  }
  const auto dtype = z.scalar_type();
  const bool upcast = dtype != torch::kFloat32 && dtype != torch::kFloat64;
  const torch::Tensor zf = upcast ? z.to(torch::kFloat32) : z;
  FsqResult r;
  r.codes = quantize(zf);
  r.indices = codes_to_indices(r.codes);
  if (upcast) r.codes = r.codes.to(dtype);
  return r;
}

}  // namespace xcodec::models
