#include "xcodec/models/dwan/dwan_decoder.h"

#include <torch/torch.h>

#include "xcodec/core/error.h"
#include "xcodec/models/dwan/convnext_block.h"
#include "xcodec/models/layers/compute_precision.h"

namespace xcodec::models {

// ---- DwanBackbone --------------------------------------------------------------------------

DwanBackboneImpl::DwanBackboneImpl(DwanBackboneOptions options_) : options(options_) { reset(); }

void DwanBackboneImpl::reset() {
  const auto& o = options;
  if (o.in_dim < 1 || o.dim < 1 || o.layers < 1) {
    throw ConfigError("DwanBackbone: in_dim, dim and layers must be >= 1");
  }
  embed = register_module("embed", torch::nn::Conv1d(torch::nn::Conv1dOptions(o.in_dim, o.dim, 1)));
  norm =
      register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.dim}).eps(1e-6)));
  convnext = register_module("convnext", torch::nn::ModuleList());
  for (int64_t j = 0; j < o.layers; ++j) {
    convnext->push_back(
        ConvNextBlock(ConvNextBlockOptions(o.dim, o.intermediate, o.dw_kernel, o.layer_scale)));
  }
  final_layer_norm = register_module(
      "final_layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.dim}).eps(1e-6)));
  init_dwan_weights(*this);
}

void DwanBackboneImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::DwanBackbone(in=" << options.in_dim << ", dim=" << options.dim
         << ", intermediate=" << options.intermediate << ", layers=" << options.layers
         << ", dw_kernel=" << options.dw_kernel << ")";
}

torch::Tensor DwanBackboneImpl::forward(const torch::Tensor& x) {
  if (x.dim() != 3 || x.size(1) != options.in_dim) {
    throw ShapeError("DwanBackbone: expected [B, " + std::to_string(options.in_dim) + ", T], got " +
                     c10::str(x.sizes()));
  }
  torch::Tensor h = conv1d_forward(*embed, x);
  h = norm->forward(h.transpose(1, 2)).transpose(1, 2);
  for (const auto& block : *convnext) h = block->as<ConvNextBlockImpl>()->forward(h);
  return final_layer_norm->forward(h.transpose(1, 2));
}

// ---- CenterIstft ---------------------------------------------------------------------------

CenterIstftImpl::CenterIstftImpl(int64_t n_fft_, int64_t hop_length_)
    : n_fft(n_fft_), hop_length(hop_length_) {
  reset();
}

void CenterIstftImpl::reset() {
  if (n_fft < 2 || n_fft % 2 != 0 || hop_length < 1 || 2 * hop_length > n_fft) {
    throw ConfigError("centre ISTFT: n_fft " + std::to_string(n_fft) +
                      " must be even and >= 2 * hop " + std::to_string(hop_length));
  }
  window = register_buffer("window", torch::hann_window(n_fft, /*periodic=*/true));
}

void CenterIstftImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::ISTFT(n_fft=" << n_fft << ", hop=" << hop_length
         << ", padding=center)";
}

torch::Tensor CenterIstftImpl::forward(const torch::Tensor& spec) {
  const int64_t bins = n_fft / 2 + 1;
  if (spec.dim() != 3 || spec.size(1) != bins || spec.size(2) < 1 || !spec.is_complex()) {
    throw ShapeError("centre ISTFT: expected complex [B, " + std::to_string(bins) + ", T], got " +
                     c10::str(spec.sizes()));
  }
  return torch::istft(spec, n_fft, hop_length, n_fft, window, /*center=*/true,
                      /*normalized=*/false, /*onesided=*/true);
}

// ---- DwanIstftHead -------------------------------------------------------------------------

DwanIstftHeadImpl::DwanIstftHeadImpl(int64_t dim_, int64_t n_fft_, int64_t hop_length_)
    : dim(dim_), n_fft(n_fft_), hop_length(hop_length_) {
  reset();
}

void DwanIstftHeadImpl::reset() {
  out = register_module("out", torch::nn::Linear(dim, n_fft + 2));
  istft = register_module("istft", CenterIstft(n_fft, hop_length));
}

void DwanIstftHeadImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::ISTFTHead(dim=" << dim << ", n_fft=" << n_fft << ", hop=" << hop_length
         << ", padding=center)";
}

DwanHeadOutput DwanIstftHeadImpl::forward_detailed(const torch::Tensor& x) {
  if (x.dim() != 3 || x.size(2) != dim) {
    throw ShapeError("ISTFTHead: expected [B, T, " + std::to_string(dim) + "], got " +
                     c10::str(x.sizes()));
  }
  const torch::Tensor pred = linear_forward(*out, x).transpose(1, 2);  // [B, n_fft+2, T]
  const int64_t bins = n_fft / 2 + 1;
  // The original sets S[:, 0] and S[:, -1] to 0 in place ("exploding gradients" with small
  // batches); zeroing the magnitude of those bins gives the same S and the same gradients.
  torch::Tensor keep = torch::ones({bins}, pred.options());
  keep[0] = 0;
  keep[bins - 1] = 0;
  const torch::Tensor mag =
      torch::clamp_max(torch::exp(pred.narrow(1, 0, bins)), mag_max) * keep.view({1, bins, 1});
  const torch::Tensor phase = pred.narrow(1, bins, bins);
  DwanHeadOutput o;
  o.spec = torch::complex(mag * torch::cos(phase), mag * torch::sin(phase));
  o.audio = istft->forward(o.spec).unsqueeze(1);
  return o;
}

torch::Tensor DwanIstftHeadImpl::forward(const torch::Tensor& x) {
  return forward_detailed(x).audio;
}

// ---- DwanDecoder ---------------------------------------------------------------------------

DwanDecoderImpl::DwanDecoderImpl(DwanDecoderOptions options_) : options(options_) { reset(); }

void DwanDecoderImpl::reset() {
  decoder = register_module("decoder", DwanBackbone(options.backbone));
  const int64_t r = options.head_upsample;
  const int64_t dim = options.backbone.dim;
  if (r > 1) upsample = register_module("upsample", SubframeUpsample(dim, r));
  head = register_module("head", DwanIstftHead(dim, options.n_fft / r, options.hop / r));
}

void DwanDecoderImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::DwanDecoder(dim=" << options.backbone.dim
         << ", n_fft=" << options.n_fft << ", hop=" << options.hop << ")";
}

torch::Tensor DwanDecoderImpl::forward(const torch::Tensor& x) {
  torch::Tensor h = decoder->forward(x);
  if (!upsample) return head->forward(h);
  const int64_t t = h.size(1);
  // The centre-mode head gives (T·r − 1)·hop/r samples; the first (T − 1)·hop keep the
  // original's length.
  return head->forward(upsample->forward(h))
      .narrow(2, 0, std::max<int64_t>(t - 1, 0) * options.hop);
}

}  // namespace xcodec::models
