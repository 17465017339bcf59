#include "xcodec/models/discriminators/weight_norm_conv2d.h"

#include <torch/torch.h>

#include <cmath>

namespace xcodec::models {

WeightNormConv2dImpl::WeightNormConv2dImpl(WeightNormConv2dOptions options_) : options(options_) {
  reset();
}

void WeightNormConv2dImpl::reset() {
  const auto& o = options;
  torch::Tensor w =
      torch::empty({o.out_channels, o.in_channels, o.kernel_size[0], o.kernel_size[1]});
  torch::nn::init::kaiming_uniform_(w, std::sqrt(5.0));
  if (o.weight_norm) {
    // g from v before registration: register_parameter turns on requires_grad in place, and
    // a g computed afterwards would be a non-leaf that never receives a gradient.
    torch::Tensor g = w.reshape({o.out_channels, -1}).norm(2, 1).reshape({o.out_channels, 1, 1, 1});
    weight_v = register_parameter("weight_v", w);
    weight_g = register_parameter("weight_g", g.detach());
  } else {
    plain_weight = register_parameter("weight", w);
  }
  if (o.bias) {
    const double fan_in = static_cast<double>(o.in_channels * o.kernel_size[0] * o.kernel_size[1]);
    const double bound = fan_in > 0 ? 1.0 / std::sqrt(fan_in) : 0.0;
    bias = register_parameter("bias", torch::empty({o.out_channels}).uniform_(-bound, bound));
  }
}

void WeightNormConv2dImpl::pretty_print(std::ostream& stream) const {
  const auto& o = options;
  stream << "xcodec::models::WeightNormConv2d(" << o.in_channels << ", " << o.out_channels
         << ", kernel_size=[" << o.kernel_size[0] << ", " << o.kernel_size[1] << "], stride=["
         << o.stride[0] << ", " << o.stride[1] << "], padding=[" << o.padding[0] << ", "
         << o.padding[1] << "], weight_norm=" << (o.weight_norm ? "true" : "false") << ")";
}

torch::Tensor WeightNormConv2dImpl::weight() const {
  if (!options.weight_norm) return plain_weight;
  // torch._weight_norm(v, g, 0): v * (g / ||v||), the norm over dims 1..3, no epsilon.
  const torch::Tensor norm =
      weight_v.reshape({weight_v.size(0), -1}).norm(2, 1).reshape({weight_v.size(0), 1, 1, 1});
  return weight_v * (weight_g / norm);
}

torch::Tensor WeightNormConv2dImpl::forward(const torch::Tensor& x) {
  return torch::conv2d(x, weight(), bias, {options.stride[0], options.stride[1]},
                       {options.padding[0], options.padding[1]});
}

}  // namespace xcodec::models
