#include "xcodec/models/layers/wn_conv1d.h"

#include <torch/torch.h>

#include <cmath>

#include "xcodec/models/layers/compute_precision.h"
#include "xcodec/models/layers/parameter_init.h"

namespace xcodec::models {

WNConv1dImpl::WNConv1dImpl(WNConv1dOptions options_) : options(std::move(options_)) { reset(); }

void WNConv1dImpl::reset() {
  folded_ = false;
  folded_weight_ = torch::Tensor();
  // PyTorch's default Conv1d init (kaiming_uniform with a = sqrt(5)), then weight_norm takes
  // g = ||v|| so that the initial effective weight equals v.
  auto v = torch::empty({options.out_channels, options.in_channels, options.kernel_size});
  const bool init = !parameter_init_skipped();
  if (init) torch::nn::init::kaiming_uniform_(v, std::sqrt(5.0));
  auto g = init ? torch::norm_except_dim(v, 2, 0) : torch::empty({options.out_channels, 1, 1});
  weight_g = register_parameter("weight_g", g);
  weight_v = register_parameter("weight_v", v);
  if (options.bias) {
    const double fan_in = static_cast<double>(options.in_channels * options.kernel_size);
    const double bound = 1.0 / std::sqrt(fan_in);
    auto b = torch::empty({options.out_channels});
    if (init) b.uniform_(-bound, bound);
    bias = register_parameter("bias", b);
  }
}

void WNConv1dImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::WNConv1d(" << options.in_channels << ", " << options.out_channels
         << ", kernel_size=" << options.kernel_size << ", stride=" << options.stride
         << ", padding=" << options.padding << ", dilation=" << options.dilation
         << ", bias=" << (options.bias ? "true" : "false") << (folded_ ? ", folded" : "") << ")";
}

torch::Tensor WNConv1dImpl::weight() const {
  if (folded_) return folded_weight_;
  // Same ATen op as torch.nn.utils.weight_norm: v * (g / norm_except_dim(v, 2, 0)).
  return torch::_weight_norm(weight_v, weight_g, 0);
}

void WNConv1dImpl::fold() {
  torch::NoGradGuard no_grad;
  torch::Tensor w = torch::_weight_norm(weight_v, weight_g, 0).detach().contiguous();
  if (!folded_weight_.defined()) {
    folded_weight_ = register_buffer("_weight", w);
  } else {
    folded_weight_.set_data(w);
  }
  folded_ = true;
}

torch::Tensor WNConv1dImpl::forward(const torch::Tensor& x) {
  return conv1d_maybe_lowered(*this, x, weight(), bias, options.stride, options.padding,
                              options.dilation);
}

}  // namespace xcodec::models
