#include "xcodec/models/layers/istft_head.h"

#include <torch/torch.h>

#include "xcodec/core/error.h"
#include "xcodec/models/layers/compute_precision.h"
#include "xcodec/models/layers/parameter_init.h"

namespace xcodec::models {

namespace F = torch::nn::functional;

IstftImpl::IstftImpl(IstftOptions options_) : options(options_) { reset(); }

void IstftImpl::reset() {
  if (options.hop_length <= 0 || options.n_fft % options.hop_length != 0 ||
      (options.n_fft - options.hop_length) % 2 != 0) {
    throw ConfigError("ISTFT: n_fft " + std::to_string(options.n_fft) +
                      " must be a multiple of hop_length " + std::to_string(options.hop_length) +
                      " with (n_fft - hop) even");
  }
  folded_ = false;
  window = register_buffer("window", torch::hann_window(options.n_fft, /*periodic=*/true));
}

void IstftImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::ISTFT(n_fft=" << options.n_fft << ", hop=" << options.hop_length
         << ", padding=same)";
}

torch::Tensor IstftImpl::envelope_direct(int64_t frames) const {
  const int64_t total = (frames - 1) * options.hop_length + options.n_fft;
  const torch::Tensor wsq = window.square().expand({1, frames, -1}).transpose(1, 2);
  const torch::Tensor env =
      F::fold(wsq,
              F::FoldFuncOptions({1, total}, {1, options.n_fft}).stride({1, options.hop_length}))
          .reshape({total});
  return env.narrow(0, pad(), total - 2 * pad());
}

void IstftImpl::fold() {
  folded_ = false;
  const int64_t ratio = options.n_fft / options.hop_length;
  const torch::Tensor ref = envelope_direct(ratio + 4);
  const int64_t p = pad();
  torch::Tensor head = ref.narrow(0, 0, p).contiguous();
  torch::Tensor period = ref.narrow(0, p, options.hop_length).contiguous();
  torch::Tensor tail = ref.narrow(0, ref.size(0) - p, p).contiguous();
  if ((ref < 1e-11).any().item<bool>()) throw Error("ISTFT: window envelope is zero (NOLA)");
  if (!env_head_.defined()) {
    env_head_ = register_buffer("_env_head", head);
    env_period_ = register_buffer("_env_period", period);
    env_tail_ = register_buffer("_env_tail", tail);
  } else {
    env_head_.set_data(head);
    env_period_.set_data(period);
    env_tail_.set_data(tail);
  }
  folded_ = true;
}

torch::Tensor IstftImpl::envelope(int64_t frames) const {
  const int64_t ratio = options.n_fft / options.hop_length;
  if (!folded_ || frames < ratio - 1) return envelope_direct(frames);
  const int64_t repeats = frames + 1 - ratio;
  if (repeats == 0) return torch::cat({env_head_, env_tail_});
  return torch::cat({env_head_, env_period_.repeat({repeats}), env_tail_});
}

torch::Tensor IstftImpl::forward(const torch::Tensor& spec) {
  const int64_t bins = options.n_fft / 2 + 1;
  if (spec.dim() != 3 || spec.size(1) != bins || spec.size(2) < 1) {
    throw ShapeError("ISTFT: expected complex [B, " + std::to_string(bins) + ", T], got " +
                     c10::str(spec.sizes()));
  }
  const int64_t frames = spec.size(2);
  const int64_t total = (frames - 1) * options.hop_length + options.n_fft;
  torch::Tensor ifft = torch::fft::irfft(spec, options.n_fft, /*dim=*/1, "backward");
  ifft = ifft * window.view({1, -1, 1});
  const torch::Tensor y =
      F::fold(ifft,
              F::FoldFuncOptions({1, total}, {1, options.n_fft}).stride({1, options.hop_length}))
          .view({spec.size(0), total})
          .narrow(1, pad(), total - 2 * pad());
  return y / envelope(frames);
}

IstftHeadImpl::IstftHeadImpl(IstftHeadOptions options_) : options(options_) { reset(); }

void IstftHeadImpl::reset() {
  out =
      register_module("out", make_linear(torch::nn::LinearOptions(options.dim, options.n_fft + 2)));
  istft = register_module("istft", Istft(IstftOptions(options.n_fft, options.hop_length)));
}

void IstftHeadImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::ISTFTHead(dim=" << options.dim << ", n_fft=" << options.n_fft
         << ", hop=" << options.hop_length << ", padding=same)";
}

IstftHeadOutput IstftHeadImpl::forward_detailed(const torch::Tensor& x) {
  if (x.dim() != 3 || x.size(2) != options.dim) {
    throw ShapeError("ISTFTHead: expected [B, T, " + std::to_string(options.dim) + "], got " +
                     c10::str(x.sizes()));
  }
  const torch::Tensor pred = linear_forward(*out, x).transpose(1, 2);  // [B, n_fft+2, T]
  const int64_t bins = options.n_fft / 2 + 1;
  IstftHeadOutput o;
  o.mag = torch::clamp_max(torch::exp(pred.narrow(1, 0, bins)), options.mag_max);
  o.phase = pred.narrow(1, bins, bins);
  const torch::Tensor spec =
      torch::complex(o.mag * torch::cos(o.phase), o.mag * torch::sin(o.phase));
  o.audio = istft->forward(spec).unsqueeze(1);
  return o;
}

torch::Tensor IstftHeadImpl::forward(const torch::Tensor& x) { return forward_detailed(x).audio; }

}  // namespace xcodec::models
