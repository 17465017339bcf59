#pragma once
/// The semantic adapters of X-Codec-2.0 (`SemanticEncoder_module`, `SemanticDecoder_module`;
/// spec xcodec2.md §3.3, §8, G9). Both have the same structure:
///   a   = initial_conv(x)                     in → channels, no bias
///   out = final_conv(conv_b(relu(conv_a(relu(a)))) + relu(a))      channels → out, no bias
/// with conv_a = `residual_blocks.1`, conv_b = `residual_blocks.3` (bias). The skip carries
/// relu(a), not a, because the original's first ReLU runs in place on the tensor it adds back.
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace xcodec::models {

struct SemanticAdapterOptions {
  SemanticAdapterOptions(int64_t in_channels, int64_t channels, int64_t out_channels)
      : in_channels(in_channels), channels(channels), out_channels(out_channels) {}
  int64_t in_channels;      ///< input width
  int64_t channels;         ///< inner width (encode_channels / decode_channels)
  int64_t out_channels;     ///< output width (code_dim / output_channels)
  int64_t kernel_size = 3;  ///< odd; "same" padding
  bool bias = true;         ///< bias of the two residual convs
};

class SemanticAdapterImpl : public torch::nn::Cloneable<SemanticAdapterImpl> {
 public:
  explicit SemanticAdapterImpl(SemanticAdapterOptions options);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// [B, in, T] → [B, out, T]
  torch::Tensor forward(const torch::Tensor& x);

  SemanticAdapterOptions options;
  torch::nn::Conv1d initial_conv{nullptr};
  torch::nn::Sequential residual_blocks{nullptr};  ///< ReLU, Conv1d, ReLU, Conv1d
  torch::nn::Conv1d final_conv{nullptr};
};
TORCH_MODULE(SemanticAdapter);

/// SemanticEncoder(input_channels, code_dim, encode_channels) of the original.
SemanticAdapter make_semantic_encoder(int64_t input_channels, int64_t code_dim,
                                      int64_t encode_channels, int64_t kernel_size = 3);
/// SemanticDecoder(code_dim, output_channels, decode_channels) of the original.
SemanticAdapter make_semantic_decoder(int64_t code_dim, int64_t output_channels,
                                      int64_t decode_channels, int64_t kernel_size = 3);

}  // namespace xcodec::models
