#include "xcodec/models/layers/snake_beta.h"

#include <torch/torch.h>

namespace xcodec::models {

SnakeBetaImpl::SnakeBetaImpl(SnakeBetaOptions options_) : options(options_) { reset(); }

void SnakeBetaImpl::reset() {
  folded_ = false;
  alpha = register_parameter("alpha", torch::zeros({options.channels}));
  beta = register_parameter("beta", torch::zeros({options.channels}));
}

void SnakeBetaImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::SnakeBeta(" << options.channels << ", alpha_logscale=true)";
}

torch::Tensor SnakeBetaImpl::scale() const {
  if (folded_) return scale_;
  return torch::exp(alpha.view({1, -1, 1}));
}

torch::Tensor SnakeBetaImpl::inv_beta() const {
  if (folded_) return inv_beta_;
  // Same operation order as the original: 1.0 / (exp(beta) + 1e-9).
  return torch::reciprocal(torch::exp(beta.view({1, -1, 1})) + kNoDivByZero);
}

void SnakeBetaImpl::fold() {
  folded_ = false;
  torch::Tensor s = scale().detach().contiguous();
  torch::Tensor ib = inv_beta().detach().contiguous();
  if (!scale_.defined()) {
    scale_ = register_buffer("_scale", s);
    inv_beta_ = register_buffer("_inv_beta", ib);
  } else {
    scale_.set_data(s);
    inv_beta_.set_data(ib);
  }
  folded_ = true;
}

torch::Tensor snake_beta(const torch::Tensor& x, const torch::Tensor& scale,
                         const torch::Tensor& inv_beta) {
  if (!torch::GradMode::is_enabled()) {
    torch::Tensor t = x * scale;
    t.sin_();
    t.mul_(t);
    t.mul_(inv_beta);
    return t.add_(x);
  }
  return x + inv_beta * torch::pow(torch::sin(x * scale), 2);
}

torch::Tensor SnakeBetaImpl::forward(const torch::Tensor& x) {
  return snake_beta(x, scale(), inv_beta());
}

}  // namespace xcodec::models
