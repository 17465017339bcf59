#include "xcodec/models/layers/rms_norm.h"

#include <torch/torch.h>

namespace xcodec::models {

RmsNormImpl::RmsNormImpl(RmsNormOptions options_) : options(options_) { reset(); }

void RmsNormImpl::reset() { weight = register_parameter("weight", torch::ones({options.dim})); }

void RmsNormImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::RMSNorm(" << options.dim << ", eps=" << options.eps << ")";
}

torch::Tensor RmsNormImpl::forward(const torch::Tensor& x) {
  return x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + options.eps) * weight;
}

}  // namespace xcodec::models
