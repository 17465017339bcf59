#include "xcodec/models/layers/subframe_upsample.h"

#include <torch/torch.h>

#include "xcodec/core/error.h"
#include "xcodec/models/layers/compute_precision.h"

namespace xcodec::models {

SubframeUpsampleImpl::SubframeUpsampleImpl(int64_t dim_, int64_t factor_)
    : dim(dim_), factor(factor_) {
  reset();
}

void SubframeUpsampleImpl::reset() {
  if (dim < 1 || factor < 2) throw ConfigError("SubframeUpsample: needs dim >= 1 and factor >= 2");
  proj = register_module("proj", torch::nn::Linear(dim, factor * dim));
  norm =
      register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(1e-6)));
}

void SubframeUpsampleImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::SubframeUpsample(dim=" << dim << ", factor=" << factor << ")";
}

torch::Tensor SubframeUpsampleImpl::forward(const torch::Tensor& x) {
  if (x.dim() != 3 || x.size(2) != dim) {
    throw ShapeError("SubframeUpsample: expected [B, T, " + std::to_string(dim) + "], got " +
                     c10::str(x.sizes()));
  }
  // [B, T, r·C] → [B, T·r, C]: slice k of token t becomes frame t·r + k.
  const torch::Tensor frames =
      linear_forward(*proj, x).reshape({x.size(0), x.size(1) * factor, dim});
  return norm->forward(torch::gelu(frames));
}

}  // namespace xcodec::models
