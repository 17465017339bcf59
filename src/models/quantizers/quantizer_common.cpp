#include "models/quantizers/quantizer_common.h"

#include <torch/torch.h>

#include "xcodec/core/error.h"

namespace xcodec::models::detail {

void check_quantizer_input(const torch::Tensor& x, int64_t dim, const std::string& who) {
  if (x.dim() != 3 || x.size(2) != dim) {
    throw ShapeError(who + ": expected input [B, T, " + std::to_string(dim) + "], got " +
                     c10::str(x.sizes()));
  }
}

void check_quantizer_indices(const torch::Tensor& indices, int64_t q, const std::string& who) {
  if (indices.dim() != 3 || indices.size(2) != q ||
      !c10::isIntegralType(indices.scalar_type(), /*includeBool=*/false)) {
    throw ShapeError(who + ": expected integer indices [B, T, " + std::to_string(q) + "], got " +
                     c10::str(indices.sizes()) + " " + c10::toString(indices.scalar_type()));
  }
}

torch::Tensor to_quantizer_precision(const torch::Tensor& x) {
  const auto t = x.scalar_type();
  return t == torch::kFloat32 || t == torch::kFloat64 ? x : x.to(torch::kFloat32);
}

torch::Tensor zero_loss(const torch::Tensor& like) {
  return torch::zeros({}, like.options().dtype(torch::kFloat32));
}

}  // namespace xcodec::models::detail
