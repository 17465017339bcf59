#include "xcodec/models/layers/activation1d.h"

#include <torch/torch.h>

#include "xcodec/core/error.h"

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
// i.e. one grouped conv (groups = C) over the interleaved [E_c, O_c] channel pairs.

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
  const auto opts = fu.options();
  // Even phase: taps f[11], f[9], ..., f[1] then 0; odd phase: 0 then f[10], f[8], ..., f[0].
  const torch::Tensor zero = torch::zeros({1}, opts);
  const torch::Tensor idx_odd_taps = torch::arange(11, 0, -2, opts.dtype(torch::kLong));
  const torch::Tensor idx_even_taps = torch::arange(10, -1, -2, opts.dtype(torch::kLong));
  const torch::Tensor up_even = torch::cat({fu.index_select(0, idx_odd_taps) * 2, zero});
  const torch::Tensor up_odd = torch::cat({zero, fu.index_select(0, idx_even_taps) * 2});
  Polyphase p;
  p.up_weight = torch::stack({up_even, up_odd}).repeat({c, 1}).view({2 * c, 1, 7});
  const torch::Tensor down_e =
      torch::cat({zero, fd.index_select(0, torch::arange(1, 12, 2, idx_odd_taps.options()))});
  const torch::Tensor down_o =
      torch::cat({fd.index_select(0, torch::arange(0, 12, 2, idx_odd_taps.options())), zero});
  p.down_weight = torch::stack({down_e, down_o}).unsqueeze(0).repeat({c, 1, 1});
  p.scale = act->scale().repeat_interleave(2, 1);
  p.inv_beta = act->inv_beta().repeat_interleave(2, 1);
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

torch::Tensor Activation1dImpl::forward(const torch::Tensor& x) {
  if (x.dim() != 3 || x.size(1) != options.channels) {
    throw ShapeError("Activation1d: expected [B, " + std::to_string(options.channels) +
                     ", L], got " + c10::str(x.sizes()));
  }
  const int64_t b = x.size(0);
  const int64_t c = options.channels;
  const int64_t l = x.size(2);
  const Polyphase p = polyphase();
  namespace F = torch::nn::functional;
  const torch::Tensor xq = F::pad(x, F::PadFuncOptions({3, 3}).mode(torch::kReplicate));
  // [B, 2C, L]: channel 2c = even output phase, 2c+1 = odd phase of channel c.
  torch::Tensor s = torch::conv1d(xq, p.up_weight, torch::Tensor(), kOne, kZero, kOne, c);
  s = snake_beta(s, p.scale, p.inv_beta);
  const torch::Tensor phases = s.view({b, c, 2, l});
  const torch::Tensor first = phases.select(2, 0).narrow(2, 0, 1);     // s[0]
  const torch::Tensor last = phases.select(2, 1).narrow(2, l - 1, 1);  // s[2L-1]
  const torch::Tensor left = first.unsqueeze(2).expand({b, c, 2, 3}).reshape({b, 2 * c, 3});
  const torch::Tensor right = last.unsqueeze(2).expand({b, c, 2, 3}).reshape({b, 2 * c, 3});
  const torch::Tensor sp = torch::cat({left, s, right}, 2);
  return torch::conv1d(sp, p.down_weight, torch::Tensor(), kOne, kZero, kOne, c);
}

torch::Tensor Activation1dImpl::forward_reference(const torch::Tensor& x) {
  return downsample->forward(act->forward(upsample->forward(x)));
}

}  // namespace xcodec::models
