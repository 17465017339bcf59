#include "xcodec/models/semantic/semantic_adapter.h"

#include <torch/torch.h>

#include "xcodec/core/error.h"
#include "xcodec/models/layers/compute_precision.h"

namespace xcodec::models {

SemanticAdapterImpl::SemanticAdapterImpl(SemanticAdapterOptions options_) : options(options_) {
  reset();
}

void SemanticAdapterImpl::reset() {
  const int64_t k = options.kernel_size;
  const int64_t pad = (k - 1) / 2;
  auto conv = [&](int64_t in, int64_t out, bool bias) {
    return torch::nn::Conv1d(torch::nn::Conv1dOptions(in, out, k).padding(pad).bias(bias));
  };
  initial_conv =
      register_module("initial_conv", conv(options.in_channels, options.channels, false));
  // Created in this order (arguments of one call would draw from the RNG in unspecified order).
  auto conv_a = conv(options.channels, options.channels, options.bias);
  auto conv_b = conv(options.channels, options.channels, options.bias);
  residual_blocks =
      register_module("residual_blocks",
                      torch::nn::Sequential(torch::nn::ReLU(), conv_a, torch::nn::ReLU(), conv_b));
  final_conv = register_module("final_conv", conv(options.channels, options.out_channels, false));
}

void SemanticAdapterImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::SemanticAdapter(" << options.in_channels << " -> " << options.channels
         << " -> " << options.out_channels << ", kernel_size=" << options.kernel_size << ")";
}

torch::Tensor SemanticAdapterImpl::forward(const torch::Tensor& x) {
  if (x.dim() != 3 || x.size(1) != options.in_channels) {
    throw ShapeError("SemanticAdapter: expected [B, " + std::to_string(options.in_channels) +
                     ", T], got " + c10::str(x.sizes()));
  }
  const torch::Tensor a = torch::relu(conv1d_forward(*initial_conv, x));  // the aliased skip
  // The convs are looked up through the container (not cached pointers): clone() replaces the
  // container's modules, and a cached pointer would keep the clone's fresh random weights.
  auto& conv_a = *residual_blocks[1]->as<torch::nn::Conv1d>();
  auto& conv_b = *residual_blocks[3]->as<torch::nn::Conv1d>();
  const torch::Tensor h = conv1d_forward(conv_b, torch::relu(conv1d_forward(conv_a, a)));
  return conv1d_forward(*final_conv, h + a);
}

SemanticAdapter make_semantic_encoder(int64_t input_channels, int64_t code_dim,
                                      int64_t encode_channels, int64_t kernel_size) {
  SemanticAdapterOptions o(input_channels, encode_channels, code_dim);
  o.kernel_size = kernel_size;
  return SemanticAdapter(o);
}

SemanticAdapter make_semantic_decoder(int64_t code_dim, int64_t output_channels,
                                      int64_t decode_channels, int64_t kernel_size) {
  SemanticAdapterOptions o(code_dim, decode_channels, output_channels);
  o.kernel_size = kernel_size;
  return SemanticAdapter(o);
}

}  // namespace xcodec::models
