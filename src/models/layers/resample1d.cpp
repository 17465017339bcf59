#include "xcodec/models/layers/resample1d.h"

#include <torch/torch.h>

#include <cmath>

namespace xcodec::models {

torch::Tensor kaiser_sinc_filter1d(double cutoff, double half_width, int64_t kernel_size) {
  const bool even = kernel_size % 2 == 0;
  const int64_t half_size = kernel_size / 2;
  const double delta_f = 4.0 * half_width;
  const double a = 2.285 * static_cast<double>(half_size - 1) * M_PI * delta_f + 7.95;
  double beta = 0.0;
  if (a > 50.0) {
    beta = 0.1102 * (a - 8.7);
  } else if (a >= 21.0) {
    beta = 0.5842 * std::pow(a - 21.0, 0.4) + 0.07886 * (a - 21.0);
  }
  // float32 throughout, as the original builds it with default-dtype torch ops.
  const torch::Tensor window = torch::kaiser_window(kernel_size, /*periodic=*/false, beta);
  torch::Tensor time = even ? torch::arange(-half_size, half_size).to(torch::kFloat32) + 0.5
                            : torch::arange(kernel_size).to(torch::kFloat32) - half_size;
  if (cutoff == 0.0) return torch::zeros_like(time).view({1, 1, kernel_size});
  const torch::Tensor x = 2.0 * cutoff * time;
  const torch::Tensor sinc =
      torch::where(x == 0, torch::ones_like(x), torch::sin(M_PI * x) / M_PI / x);
  torch::Tensor filter = 2.0 * cutoff * window * sinc;
  filter = filter / filter.sum();
  return filter.view({1, 1, kernel_size});
}

namespace {
torch::Tensor design(const ResampleOptions& o) {
  return kaiser_sinc_filter1d(0.5 / static_cast<double>(o.ratio),
                              0.6 / static_cast<double>(o.ratio), o.kernel_size);
}
}  // namespace

UpSample1dImpl::UpSample1dImpl(ResampleOptions options_) : options(options_) { reset(); }

void UpSample1dImpl::reset() { filter = register_buffer("filter", design(options)); }

void UpSample1dImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::UpSample1d(ratio=" << options.ratio
         << ", kernel_size=" << options.kernel_size << ")";
}

torch::Tensor UpSample1dImpl::forward(const torch::Tensor& x) {
  const int64_t c = x.size(1);
  const int64_t k = options.kernel_size;
  const int64_t r = options.ratio;
  const int64_t pad = k / r - 1;
  const int64_t pad_left = pad * r + (k - r) / 2;
  const int64_t pad_right = pad * r + (k - r + 1) / 2;
  namespace F = torch::nn::functional;
  torch::Tensor y = F::pad(x, F::PadFuncOptions({pad, pad}).mode(torch::kReplicate));
  y = r * torch::conv_transpose1d(y, filter.expand({c, -1, -1}), torch::Tensor(),
                                  torch::IntArrayRef{r}, torch::IntArrayRef{0},
                                  torch::IntArrayRef{0}, c);
  return y.narrow(2, pad_left, y.size(2) - pad_left - pad_right);
}

LowPassFilter1dImpl::LowPassFilter1dImpl(ResampleOptions options_) : options(options_) { reset(); }

void LowPassFilter1dImpl::reset() { filter = register_buffer("filter", design(options)); }

void LowPassFilter1dImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::LowPassFilter1d(stride=" << options.ratio
         << ", kernel_size=" << options.kernel_size << ")";
}

torch::Tensor LowPassFilter1dImpl::forward(const torch::Tensor& x) {
  const int64_t k = options.kernel_size;
  const bool even = k % 2 == 0;
  const int64_t pad_left = k / 2 - (even ? 1 : 0);
  const int64_t pad_right = k / 2;
  namespace F = torch::nn::functional;
  const torch::Tensor y =
      F::pad(x, F::PadFuncOptions({pad_left, pad_right}).mode(torch::kReplicate));
  return torch::conv1d(y, filter.expand({x.size(1), -1, -1}), torch::Tensor(),
                       torch::IntArrayRef{options.ratio}, torch::IntArrayRef{0},
                       torch::IntArrayRef{1}, x.size(1));
}

DownSample1dImpl::DownSample1dImpl(ResampleOptions options_) : options(options_) { reset(); }

void DownSample1dImpl::reset() { lowpass = register_module("lowpass", LowPassFilter1d(options)); }

void DownSample1dImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::DownSample1d(ratio=" << options.ratio
         << ", kernel_size=" << options.kernel_size << ")";
}

torch::Tensor DownSample1dImpl::forward(const torch::Tensor& x) { return lowpass->forward(x); }

}  // namespace xcodec::models
