#include "xcodec/models/layers/compute_precision.h"

#include <torch/torch.h>

#include "core/torch_compat.h"
#include "xcodec/core/error.h"
#include "xcodec/models/layers/wn_conv1d.h"

namespace xcodec::models {

namespace {
constexpr const char* kWeight = "_lp_weight";
constexpr const char* kBias = "_lp_bias";

torch::Tensor find_buffer(const torch::nn::Module& module, const char* name) {
  const auto buffers = module.named_buffers(/*recurse=*/false);
  const torch::Tensor* t = buffers.find(name);
  if (t == nullptr || t->numel() == 0) return {};
  return *t;
}

// Buffers cannot be unregistered: an empty tensor stands for "none".
void set_buffer(torch::nn::Module& module, const char* name, const torch::Tensor& value) {
  const auto buffers = module.named_buffers(/*recurse=*/false);
  if (const torch::Tensor* t = buffers.find(name)) {
    torch::Tensor existing = *t;
    existing.set_data(value.defined() ? value : torch::empty({0}, existing.options()));
  } else if (value.defined()) {
    module.register_buffer(name, value);
  }
}

void lower(torch::nn::Module& module, const torch::Tensor& weight, const torch::Tensor& bias,
           c10::optional<torch::ScalarType> dtype) {
  if (!dtype) {
    set_buffer(module, kWeight, {});
    set_buffer(module, kBias, {});
    return;
  }
  set_buffer(module, kWeight, weight.detach().to(*dtype).contiguous());
  set_buffer(module, kBias, bias.defined() ? bias.detach().to(*dtype) : torch::Tensor());
}

int64_t single_padding(const torch::nn::detail::ConvNdOptions<1>& o) {
  const auto* p = compat::variant_get_if<torch::ExpandingArray<1>>(&o.padding());
  if (p == nullptr || !compat::variant_get_if<torch::enumtype::kZeros>(&o.padding_mode())) {
    throw ConfigError(
        "lower_compute_precision: Conv1d with non-numeric padding or a padding "
        "mode other than zeros is not supported");
  }
  return (**p)[0];
}

torch::Tensor run_lowered(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b,
                          int64_t stride, int64_t padding, int64_t dilation, int64_t groups) {
  return torch::conv1d(x.to(w.scalar_type()), w, b, torch::IntArrayRef{stride},
                       torch::IntArrayRef{padding}, torch::IntArrayRef{dilation}, groups)
      .to(x.scalar_type());
}
}  // namespace

ComputePrecision parse_compute_precision(const std::string& name, const std::string& what) {
  if (name == "fp32" || name == "float32") return ComputePrecision::kFloat32;
  if (name == "bf16" || name == "bfloat16") return ComputePrecision::kBFloat16;
  throw ConfigError(what + ": '" + name + "' is not one of fp32, bf16");
}

std::string to_string(ComputePrecision precision) {
  return precision == ComputePrecision::kBFloat16 ? "bf16" : "fp32";
}

void lower_compute_precision(torch::nn::Module& root, ComputePrecision precision) {
  torch::NoGradGuard no_grad;
  c10::optional<torch::ScalarType> dtype;
  if (precision == ComputePrecision::kBFloat16) dtype = torch::kBFloat16;
  for (const auto& m : root.modules(/*include_self=*/true)) {
    if (auto* lin = dynamic_cast<torch::nn::LinearImpl*>(m.get())) {
      lower(*lin, lin->weight, lin->bias, dtype);
    } else if (auto* conv = dynamic_cast<torch::nn::Conv1dImpl*>(m.get())) {
      const auto& o = conv->options;
      if (o.groups() != 1 || o.in_channels() == 1) continue;
      single_padding(o);  // rejects what conv1d_forward could not reproduce
      lower(*conv, conv->weight, conv->bias, dtype);
    } else if (auto* wn = dynamic_cast<WNConv1dImpl*>(m.get())) {
      if (wn->options.in_channels == 1) continue;
      if (dtype && !wn->folded()) {
        throw Error("lower_compute_precision: WNConv1d is not folded (call fold first)");
      }
      lower(*wn, dtype ? wn->weight() : torch::Tensor(), wn->bias, dtype);
    }
  }
}

torch::Tensor lowered_weight(const torch::nn::Module& module) {
  return find_buffer(module, kWeight);
}
torch::Tensor lowered_bias(const torch::nn::Module& module) { return find_buffer(module, kBias); }

torch::Tensor linear_forward(torch::nn::LinearImpl& module, const torch::Tensor& x) {
  const torch::Tensor w = lowered_weight(module);
  if (!w.defined()) return module.forward(x);
  return torch::linear(x.to(w.scalar_type()), w, lowered_bias(module)).to(x.scalar_type());
}

torch::Tensor conv1d_forward(torch::nn::Conv1dImpl& module, const torch::Tensor& x) {
  const torch::Tensor w = lowered_weight(module);
  if (!w.defined()) return module.forward(x);
  const auto& o = module.options;
  return run_lowered(x, w, lowered_bias(module), (*o.stride())[0], single_padding(o),
                     (*o.dilation())[0], o.groups());
}

torch::Tensor conv1d_maybe_lowered(const torch::nn::Module& module, const torch::Tensor& x,
                                   const torch::Tensor& weight, const torch::Tensor& bias,
                                   int64_t stride, int64_t padding, int64_t dilation,
                                   int64_t groups) {
  const torch::Tensor w = lowered_weight(module);
  if (w.defined())
    return run_lowered(x, w, lowered_bias(module), stride, padding, dilation, groups);
  return torch::conv1d(x, weight, bias, torch::IntArrayRef{stride}, torch::IntArrayRef{padding},
                       torch::IntArrayRef{dilation}, groups);
}

}  // namespace xcodec::models
