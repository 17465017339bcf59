#pragma once
/// Acoustic encoder `CodecEnc` of X-Codec-2.0 (BigCodec style, no LSTM/transformer; spec
/// xcodec2.md §4.5). Keys: `conv_blocks.0` (WNConv1d 1→ngf, k7 p3), `conv_blocks.{1..n}`
/// (EncoderBlock, width doubling, strides `up_ratios`), `conv_final_block.0` (Activation1d),
/// `conv_final_block.1` (WNConv1d → hidden_dim, k3 p1).
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <vector>

namespace xcodec::models {

/// YAML group `codec_encoder` (field names = keys of the original config/model/default.yaml).
struct CodecEncoderOptions {
  int64_t ngf = 48;                               ///< width of the first conv, channels
  std::vector<int64_t> up_ratios{2, 2, 4, 4, 5};  ///< block strides; product = hop, samples
  std::vector<int64_t> dilations{1, 3, 9};        ///< residual-unit dilations per block
  int64_t hidden_dim = 1024;                      ///< output width, channels

  /// Samples per output frame = product of up_ratios.
  int64_t hop_length() const;
  /// Width after the last block = ngf · 2^len(up_ratios).
  int64_t final_channels() const;
};

class CodecEncoderImpl : public torch::nn::Cloneable<CodecEncoderImpl> {
 public:
  explicit CodecEncoderImpl(CodecEncoderOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;

  /// wave [B, 1, N] (N a multiple of hop_length) → time-major features [B, N/hop, hidden_dim].
  torch::Tensor forward(const torch::Tensor& wave);
  /// Outputs of conv_blocks.0..n, conv_final_block.0 and the final (time-major) output.
  std::vector<torch::Tensor> forward_layers(const torch::Tensor& wave);

  CodecEncoderOptions options;
  torch::nn::Sequential conv_blocks{nullptr};
  torch::nn::Sequential conv_final_block{nullptr};
};
TORCH_MODULE(CodecEncoder);

}  // namespace xcodec::models
