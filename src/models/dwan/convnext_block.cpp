#include "xcodec/models/dwan/convnext_block.h"

#include <torch/torch.h>

#include "xcodec/core/error.h"
#include "xcodec/models/layers/compute_precision.h"

namespace xcodec::models {

ConvNextBlockImpl::ConvNextBlockImpl(ConvNextBlockOptions options_) : options(options_) { reset(); }

void ConvNextBlockImpl::reset() {
  const auto& o = options;
  if (o.dim < 1 || o.intermediate < 1 || o.dw_kernel < 1 || o.dw_kernel % 2 != 1) {
    throw ConfigError("ConvNeXtBlock: dim " + std::to_string(o.dim) + ", intermediate " +
                      std::to_string(o.intermediate) + " must be positive and dw_kernel " +
                      std::to_string(o.dw_kernel) + " a positive odd number");
  }
  dwconv = register_module("dwconv",
                           torch::nn::Conv1d(torch::nn::Conv1dOptions(o.dim, o.dim, o.dw_kernel)
                                                 .padding(o.dw_kernel / 2)
                                                 .groups(o.dim)));
  norm =
      register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.dim}).eps(1e-6)));
  pwconv1 = register_module("pwconv1", torch::nn::Linear(o.dim, o.intermediate));
  pwconv2 = register_module("pwconv2", torch::nn::Linear(o.intermediate, o.dim));
  gamma = torch::Tensor();
  if (o.layer_scale > 0) gamma = register_parameter("gamma", torch::full({o.dim}, o.layer_scale));
}

void ConvNextBlockImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::ConvNeXtBlock(dim=" << options.dim
         << ", intermediate=" << options.intermediate << ", dw_kernel=" << options.dw_kernel
         << ", layer_scale=" << options.layer_scale << ")";
}

torch::Tensor ConvNextBlockImpl::forward(const torch::Tensor& x) {
  if (x.dim() != 3 || x.size(1) != options.dim) {
    throw ShapeError("ConvNeXtBlock: expected [B, " + std::to_string(options.dim) + ", T], got " +
                     c10::str(x.sizes()));
  }
  // The depthwise conv has one input channel per group: lower_compute_precision leaves it in
  // float32, so the plain forward is the same as conv1d_forward here.
  torch::Tensor h = dwconv->forward(x).transpose(1, 2);
  h = norm->forward(h);
  h = linear_forward(*pwconv1, h);
  h = torch::gelu(h);  // exact (erf) GELU, nn.GELU()'s default
  h = linear_forward(*pwconv2, h);
  if (gamma.defined()) h = h * gamma;
  return x + h.transpose(1, 2);
}

void init_dwan_weights(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  // Children only: called from reset(), before the module itself is held by a shared_ptr.
  for (auto& m : module.modules(/*include_self=*/false)) {
    torch::Tensor weight;
    torch::Tensor bias;
    if (auto* conv = m->as<torch::nn::Conv1dImpl>()) {
      weight = conv->weight;
      bias = conv->bias;
    } else if (auto* linear = m->as<torch::nn::LinearImpl>()) {
      weight = linear->weight;
      bias = linear->bias;
    } else {
      continue;
    }
    // nn.init.trunc_normal_(std=0.02) truncates at ±2 (absolute), i.e. 100 σ: a clamp of a
    // normal draw is the same distribution in practice (as VocosBackbone does).
    weight.normal_(0.0, 0.02).clamp_(-2.0, 2.0);
    if (bias.defined()) bias.zero_();
  }
}

}  // namespace xcodec::models
