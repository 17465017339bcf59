#include "xcodec/models/layers/activation1d.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "xcodec/core/error.h"
#include "xcodec/models/layers/snake_activation_kernel.h"

namespace xcodec::models {

namespace {
const std::vector<int64_t> kOne{1};
const std::vector<int64_t> kZero{0};
}  // namespace

// Polyphase derivation (K = 12, ratio 2, x replicate-padded by 3 on both sides into xq):
//   up[2i]   = 2·Σ_{t=0..5} f[11-2t]·xq[i+t]       (kernel-7 taps 0..5, tap 6 zero)
//   up[2i+1] = 2·Σ_{t=1..6} f[12-2t]·xq[i+t]       (tap 0 zero)
// which equals replicate-pad 5, transposed conv stride 2, ×2 and the 15-sample crop.
// The downsampler (replicate-pad 5/6 of the 2L signal s, conv stride 2) becomes, with E/O the
// even/odd phases of s both padded by 3 with s[0] on the left and s[2L-1] on the right:
//   down[i] = Σ_{t=1..6} f[2t-1]·Ep[i+t] + Σ_{t=0..5} f[2t]·Op[i+t]
// Both are computed as plain depthwise convolutions (groups = channels, one filter per
// channel), the fast case of every backend: the phases are stacked along channels as [E; O]
// ([B, 2C, L]), and grouped convolutions with 2 inputs or outputs per group are avoided
// because LibTorch runs those group by group. Replicate padding is done with cat (the
// replicate-pad kernel is several times slower than a copy).
// Without grad mode on float32 or bf16 CPU tensors, forward_fused runs the same formulas in one
// pass per row (kernels::snake_anti_alias_rows): the 2x phases never leave the L1 cache.
Activation1dImpl::Activation1dImpl(Activation1dOptions options_) : options(options_) { reset(); }

void Activation1dImpl::reset() {
  folded_ = false;
  cache_ = {};
  act = register_module("act", SnakeBeta(SnakeBetaOptions(options.channels)));
  ResampleOptions ro;
  ro.ratio = kRatio;
  ro.kernel_size = kKernelSize;
  upsample = register_module("upsample", UpSample1d(ro));
  downsample = register_module("downsample", DownSample1d(ro));
}

void Activation1dImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::Activation1d(" << options.channels << ", up=2, down=2, taps=12)";
}

Activation1dImpl::Polyphase Activation1dImpl::polyphase() const {
  if (folded_) return cache_;
  const int64_t c = options.channels;
  const torch::Tensor fu = upsample->filter.reshape({kKernelSize});
  const torch::Tensor fd = downsample->lowpass->filter.reshape({kKernelSize});
  const auto idx = torch::TensorOptions().dtype(torch::kLong).device(fu.device());
  const torch::Tensor zero = torch::zeros({1}, fu.options());
  // Even output phase: f[11], f[9], ..., f[1], 0; odd phase: 0, f[10], f[8], ..., f[0] (× 2).
  const torch::Tensor up_even =
      torch::cat({fu.index_select(0, torch::arange(11, 0, -2, idx)) * 2, zero});
  const torch::Tensor up_odd =
      torch::cat({zero, fu.index_select(0, torch::arange(10, -1, -2, idx)) * 2});
  // Downsampler taps applied to the padded even phase (0, f[1], f[3], ..., f[11]) and to the
  // padded odd phase (f[0], f[2], ..., f[10], 0).
  const torch::Tensor down_e = torch::cat({zero, fd.index_select(0, torch::arange(1, 12, 2, idx))});
  const torch::Tensor down_o = torch::cat({fd.index_select(0, torch::arange(0, 12, 2, idx)), zero});
  Polyphase p;
  p.up_weight = torch::cat({up_even.expand({c, 7}), up_odd.expand({c, 7})}).view({2 * c, 1, 7});
  p.down_weight = torch::cat({down_e.expand({c, 7}), down_o.expand({c, 7})}).view({2 * c, 1, 7});
  p.scale = act->scale().repeat({1, 2, 1});
  p.inv_beta = act->inv_beta().repeat({1, 2, 1});
  return p;
}

void Activation1dImpl::fold() {
  folded_ = false;
  act->fold();
  Polyphase p = polyphase();
  if (!cache_.up_weight.defined()) {
    cache_.up_weight = register_buffer("_up_weight", p.up_weight.detach().contiguous());
    cache_.down_weight = register_buffer("_down_weight", p.down_weight.detach().contiguous());
    cache_.scale = register_buffer("_scale2", p.scale.detach().contiguous());
    cache_.inv_beta = register_buffer("_inv_beta2", p.inv_beta.detach().contiguous());
  } else {
    cache_.up_weight.set_data(p.up_weight.detach().contiguous());
    cache_.down_weight.set_data(p.down_weight.detach().contiguous());
    cache_.scale.set_data(p.scale.detach().contiguous());
    cache_.inv_beta.set_data(p.inv_beta.detach().contiguous());
  }
  folded_ = true;
}

torch::Tensor Activation1dImpl::forward_span(const torch::Tensor& x, const Polyphase& p, int64_t i0,
                                             int64_t i1) const {
  const int64_t b = x.size(0);
  const int64_t c = options.channels;
  const int64_t l = x.size(2);
  // Phase samples needed by the 7-tap downsampler: [i0-3, i1+3) inside [0, L); outside, the
  // padding values s[0] / s[2L-1] are used instead.
  const int64_t s0 = std::max<int64_t>(0, i0 - 3);
  const int64_t s1 = std::min<int64_t>(l, i1 + 3);
  // Input samples needed by the upsampler for those: [s0-3, s1+3), replicate-padded at the edges.
  const int64_t a0 = s0 - 3;
  const int64_t a1 = s1 + 3;
  std::vector<torch::Tensor> parts;
  if (a0 < 0) parts.push_back(x.narrow(2, 0, 1).expand({b, c, -a0}));
  parts.push_back(
      x.narrow(2, std::max<int64_t>(0, a0), std::min(l, a1) - std::max<int64_t>(0, a0)));
  if (a1 > l) parts.push_back(x.narrow(2, l - 1, 1).expand({b, c, a1 - l}));
  const torch::Tensor xq = torch::cat(parts, 2);
  const torch::Tensor xq2 = torch::cat({xq, xq}, 1);  // [B, 2C, s1-s0+6]
  torch::Tensor s = torch::conv1d(xq2, p.up_weight, torch::Tensor(), kOne, kZero, kOne, 2 * c);
  s = snake_beta(s, p.scale, p.inv_beta);  // [B, 2C, s1-s0] = [E; O]
  const int64_t n = s.size(2);
  parts.clear();
  if (i0 - 3 < 0) {  // left edge: both phases padded with s[0] = E[0]
    const torch::Tensor first = s.narrow(1, 0, c).narrow(2, 0, 1);
    parts.push_back(torch::cat({first, first}, 1).expand({b, 2 * c, s0 - (i0 - 3)}));
  }
  parts.push_back(s);
  if (i1 + 3 > l) {  // right edge: padded with s[2L-1] = O[L-1]
    const torch::Tensor last = s.narrow(1, c, c).narrow(2, n - 1, 1);
    parts.push_back(torch::cat({last, last}, 1).expand({b, 2 * c, i1 + 3 - s1}));
  }
  const torch::Tensor sp = parts.size() == 1 ? s : torch::cat(parts, 2);
  const torch::Tensor y =
      torch::conv1d(sp, p.down_weight, torch::Tensor(), kOne, kZero, kOne, 2 * c);
  return y.narrow(1, 0, c) + y.narrow(1, c, c);
}

void Activation1dImpl::check_input(const torch::Tensor& x) const {
  if (x.dim() != 3 || x.size(1) != options.channels || x.size(2) == 0) {
    throw ShapeError("Activation1d: expected [B, " + std::to_string(options.channels) +
                     ", L>0], got " + c10::str(x.sizes()));
  }
}

namespace {
bool kernel_dtype(torch::ScalarType t) { return t == torch::kFloat || t == torch::kBFloat16; }
kernels::RowType row_type(torch::ScalarType t) {
  return t == torch::kBFloat16 ? kernels::RowType::kBFloat16 : kernels::RowType::kFloat32;
}
}  // namespace

bool Activation1dImpl::fused_applies(const torch::Tensor& x) const {
  const auto cpu_float = [](const torch::Tensor& t) {
    return t.device().is_cpu() && t.scalar_type() == torch::kFloat;
  };
  return !torch::GradMode::is_enabled() && x.device().is_cpu() && kernel_dtype(x.scalar_type()) &&
         cpu_float(act->alpha) && cpu_float(act->beta) && cpu_float(upsample->filter) &&
         cpu_float(downsample->lowpass->filter);
}

torch::Tensor Activation1dImpl::forward(const torch::Tensor& x) {
  check_input(x);
  return fused_applies(x) ? forward_fused(x) : forward_polyphase(x);
}

torch::Tensor Activation1dImpl::forward_as(const torch::Tensor& x, torch::ScalarType dtype) {
  check_input(x);
  if (fused_applies(x) && kernel_dtype(dtype)) return forward_fused(x, dtype);
  return forward_polyphase(x).to(dtype);
}

torch::Tensor Activation1dImpl::forward_polyphase(const torch::Tensor& x) {
  check_input(x);
  const int64_t l = x.size(2);
  const Polyphase p = polyphase();
  const int64_t chunk =
      options.chunk_elements > 0
          ? std::max<int64_t>(64, options.chunk_elements / (options.channels * x.size(0)))
          : l;
  if (torch::GradMode::is_enabled() || l <= chunk) return forward_span(x, p, 0, l);
  torch::Tensor out = torch::empty_like(x);
  for (int64_t i0 = 0; i0 < l; i0 += chunk) {
    const int64_t i1 = std::min(l, i0 + chunk);
    out.narrow(2, i0, i1 - i0).copy_(forward_span(x, p, i0, i1));
  }
  return out;
}

torch::Tensor Activation1dImpl::forward_fused(const torch::Tensor& x,
                                              c10::optional<torch::ScalarType> dtype) {
  check_input(x);
  const torch::ScalarType out_type = dtype.value_or(x.scalar_type());
  if (!fused_applies(x) || !kernel_dtype(out_type)) {
    throw ShapeError(
        "Activation1d::forward_fused: needs float32 or bf16 CPU tensors, float32 parameters "
        "and no grad mode");
  }
  // The taps are those of the polyphase path (cached there once folded), read back per row.
  const Polyphase p = polyphase();
  const int64_t c = options.channels;
  const torch::Tensor up = p.up_weight.view({2 * c, 7});
  const torch::Tensor down = p.down_weight.view({2 * c, 7});
  const float* ue = up[0].data_ptr<float>();    // up_even, 0
  const float* uo = up[c].data_ptr<float>();    // 0, up_odd
  const float* de = down[0].data_ptr<float>();  // 0, down_even
  const float* dn = down[c].data_ptr<float>();  // down_odd, 0
  kernels::SnakeAntiAliasTaps taps{};
  for (int t = 0; t < 6; ++t) {
    taps.up_even[t] = ue[t];
    taps.up_odd[t] = uo[t + 1];
    taps.down_even[t] = de[t + 1];
    taps.down_odd[t] = dn[t];
  }
  const torch::Tensor scale = p.scale.reshape({-1}).narrow(0, 0, c).contiguous();
  const torch::Tensor inv_beta = p.inv_beta.reshape({-1}).narrow(0, 0, c).contiguous();
  const torch::Tensor xc = x.contiguous();
  torch::Tensor out = torch::empty(xc.sizes(), xc.options().dtype(out_type));
  // The kernel threads with OpenMP itself: ATen's parallel_for is inline, and this library is
  // not built with OpenMP, so it would run on one thread.
  kernels::snake_anti_alias_rows(xc.data_ptr(), row_type(xc.scalar_type()), xc.size(0) * c,
                                 xc.size(2), c, scale.data_ptr<float>(), inv_beta.data_ptr<float>(),
                                 taps, at::get_num_threads(), out.data_ptr(), row_type(out_type));
  return out;
}

torch::Tensor Activation1dImpl::forward_reference(const torch::Tensor& x) {
  return downsample->forward(act->forward(upsample->forward(x)));
}

}  // namespace xcodec::models
