#include "xcodec/models/layers/rotary_embedding.h"

#include <torch/torch.h>

#include "xcodec/core/error.h"

namespace xcodec::models {

RotaryEmbeddingImpl::RotaryEmbeddingImpl(RotaryEmbeddingOptions options_) : options(options_) {
  reset();
}

void RotaryEmbeddingImpl::reset() {
  if (options.dim % 2 != 0) throw ConfigError("RoPE: dim must be even");
  const int64_t half = options.dim / 2;
  // theta = 1 / (base ** (arange(0, dim, 2)[:dim/2].float() / dim)), float32 like torchtune.
  const torch::Tensor exponent =
      torch::arange(0, options.dim, 2).slice(0, 0, half).to(torch::kFloat32) / options.dim;
  const torch::Tensor theta = 1.0 / torch::pow(options.base, exponent);
  const torch::Tensor seq = torch::arange(options.positions).to(torch::kFloat32);
  const torch::Tensor idx_theta = torch::outer(seq, theta);
  cos_ = register_buffer("_cos", torch::cos(idx_theta));
  sin_ = register_buffer("_sin", torch::sin(idx_theta));
}

void RotaryEmbeddingImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::RotaryEmbedding(dim=" << options.dim
         << ", positions=" << options.positions << ", axis=heads)";
}

torch::Tensor RotaryEmbeddingImpl::forward(const torch::Tensor& x) {
  if (x.dim() != 4 || x.size(3) != options.dim || x.size(1) > options.positions) {
    throw ShapeError("RoPE: expected [B, H<=" + std::to_string(options.positions) + ", T, " +
                     std::to_string(options.dim) + "], got " + c10::str(x.sizes()));
  }
  const int64_t h = x.size(1);
  const torch::Tensor xs = x.to(torch::kFloat32).reshape({x.size(0), h, x.size(2), -1, 2});
  const torch::Tensor x0 = xs.select(-1, 0);
  const torch::Tensor x1 = xs.select(-1, 1);
  const torch::Tensor c = cos_.narrow(0, 0, h).view({1, h, 1, -1});
  const torch::Tensor s = sin_.narrow(0, 0, h).view({1, h, 1, -1});
  const torch::Tensor out = torch::stack({x0 * c - x1 * s, x1 * c + x0 * s}, -1);
  return out.flatten(3).to(x.scalar_type());
}

}  // namespace xcodec::models
