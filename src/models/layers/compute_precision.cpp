#include "xcodec/models/layers/compute_precision.h"

#include <torch/torch.h>

#include "core/torch_compat.h"
#include "xcodec/core/cpu_features.h"
#include "xcodec/core/error.h"
#include "xcodec/models/layers/onednn_linear.h"
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

// oneDNN's bf16 CPU kernels run a convolution with dilation 9 at about half the speed of an
// undilated one (dilation 3 and fp32 are not affected), measured on AVX512-BF16 for 48-768
// channels. A "same" convolution with dilation d is d undilated ones over the interleaved
// phases x[q::d]; the split and merge copies also do the dtype casts.
constexpr int64_t kPhaseSplitMinDilation = 6;

bool split_into_phases(const torch::Tensor& x, const torch::Tensor& w, int64_t stride,
                       int64_t padding, int64_t dilation, int64_t groups) {
  return x.device().is_cpu() && dilation >= kPhaseSplitMinDilation && stride == 1 && groups == 1 &&
         x.dim() == 3 && 2 * padding == dilation * (w.size(2) - 1) && padding % dilation == 0;
}

// Phase q of x holds x[q], x[q+d], ...; n = ceil(len/d) samples each, the samples past the end
// being the zero padding. Input and output are split and merged with one strided copy each,
// straight from and into [B, C, len] (a padded or narrowed copy would cost a pass more).
torch::Tensor conv1d_by_phases(const torch::Tensor& x, const torch::Tensor& w,
                               const torch::Tensor& b, int64_t padding, int64_t dilation) {
  const int64_t batch = x.size(0);
  const int64_t c_in = x.size(1);
  const int64_t len = x.size(2);
  const int64_t d = dilation;
  const int64_t full = len / d;  // complete groups of d samples
  const int64_t rest = len % d;  // samples of the last, partial group
  const int64_t n = full + (rest > 0 ? 1 : 0);
  torch::Tensor phases = torch::empty({batch, d, c_in, n}, x.options().dtype(w.dtype()));
  phases.narrow(3, 0, full)
      .copy_(x.narrow(2, 0, full * d).reshape({batch, c_in, full, d}).permute({0, 3, 1, 2}));
  if (rest > 0) {
    torch::Tensor last = phases.select(3, full);  // [B, d, C]
    last.narrow(1, rest, d - rest).zero_();
    last.narrow(1, 0, rest).copy_(x.narrow(2, full * d, rest).permute({0, 2, 1}));
  }
  const torch::Tensor y = torch::conv1d(phases.view({batch * d, c_in, n}), w, b,
                                        torch::IntArrayRef{1}, torch::IntArrayRef{padding / d});
  const int64_t c_out = y.size(1);
  const torch::Tensor yp = y.view({batch, d, c_out, n});
  torch::Tensor out = torch::empty({batch, c_out, len}, x.options());
  out.narrow(2, 0, full * d)
      .view({batch, c_out, full, d})
      .copy_(yp.narrow(3, 0, full).permute({0, 2, 3, 1}));
  if (rest > 0) {
    out.narrow(2, full * d, rest).copy_(yp.select(3, full).narrow(1, 0, rest).permute({0, 2, 1}));
  }
  return out;
}

torch::Tensor run_lowered(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b,
                          int64_t stride, int64_t padding, int64_t dilation, int64_t groups) {
  if (split_into_phases(x, w, stride, padding, dilation, groups)) {
    return conv1d_by_phases(x, w, b, padding, dilation);
  }
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
  if (precision == ComputePrecision::kBFloat16) {
    dtype = torch::kBFloat16;
    // Emulated bf16 on a CPU is 20-70x slower than fp32 and less exact: refuse, naming why.
    // (The Codec facade never gets here: it runs fp32 there with a warning.)
    const auto params = root.parameters();
    const bool on_cpu = params.empty() || params.front().device().is_cpu();
    const Bf16Support& cpu = cpu_bf16_support();
    if (on_cpu && !cpu.native) {
      throw ConfigError("compute precision bf16 refused on this CPU: " + cpu.reason +
                        "; use fp32 (or --precision auto)");
    }
  }
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
  if (!w.defined()) return fast_linear(x, module.weight, module.bias);
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
