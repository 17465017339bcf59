#include "xcodec/models/layers/resnet_block.h"

#include <torch/torch.h>

#include "xcodec/core/error.h"
#include "xcodec/models/layers/compute_precision.h"
#include "xcodec/models/layers/parameter_init.h"

namespace xcodec::models {

ResnetBlockImpl::ResnetBlockImpl(ResnetBlockOptions options_) : options(options_) { reset(); }

void ResnetBlockImpl::reset() {
  if (options.channels % options.groups != 0) {
    throw ConfigError("ResnetBlock: channels " + std::to_string(options.channels) +
                      " not divisible by GroupNorm groups " + std::to_string(options.groups));
  }
  const int64_t c = options.channels;
  auto norm = [&] {
    return torch::nn::GroupNorm(
        torch::nn::GroupNormOptions(options.groups, c).eps(options.eps).affine(true));
  };
  auto conv = [&] { return make_conv1d(torch::nn::Conv1dOptions(c, c, 3).padding(1)); };
  norm1 = register_module("norm1", norm());
  conv1 = register_module("conv1", conv());
  norm2 = register_module("norm2", norm());
  dropout = register_module("dropout", torch::nn::Dropout(options.dropout));
  conv2 = register_module("conv2", conv());
  // The original initialises the decoder's plain convs with trunc_normal(std 0.02), bias 0.
  if (parameter_init_skipped()) return;
  torch::NoGradGuard no_grad;
  for (auto* cv : {&conv1, &conv2}) {
    // trunc_normal_(std 0.02, bounds ±2) == normal here: the bounds are 100 sigmas away.
    (*cv)->weight.normal_(0.0, 0.02).clamp_(-2.0, 2.0);
    (*cv)->bias.zero_();
  }
}

void ResnetBlockImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::ResnetBlock(" << options.channels << ", groups=" << options.groups
         << ", dropout=" << options.dropout << ")";
}

torch::Tensor ResnetBlockImpl::forward(const torch::Tensor& x) {
  // swish written as x·sigmoid(x), as the original does (not the fused SiLU kernel).
  torch::Tensor h = norm1->forward(x);
  h = h * torch::sigmoid(h);
  h = conv1d_forward(*conv1, h);
  h = norm2->forward(h);
  h = h * torch::sigmoid(h);
  h = dropout->forward(h);
  h = conv1d_forward(*conv2, h);
  return x + h;
}

}  // namespace xcodec::models
