#include "xcodec/models/encoder/codec_encoder.h"

#include <torch/torch.h>

#include "xcodec/core/error.h"
#include "xcodec/models/encoder/encoder_block.h"
#include "xcodec/models/layers/activation1d.h"
#include "xcodec/models/layers/activation_conv.h"
#include "xcodec/models/layers/wn_conv1d.h"

namespace xcodec::models {

int64_t CodecEncoderOptions::hop_length() const {
  int64_t hop = 1;
  for (const int64_t r : up_ratios) hop *= r;
  return hop;
}

int64_t CodecEncoderOptions::final_channels() const {
  return ngf << static_cast<int64_t>(up_ratios.size());
}

CodecEncoderImpl::CodecEncoderImpl(CodecEncoderOptions options_) : options(std::move(options_)) {
  reset();
}

void CodecEncoderImpl::reset() {
  int64_t d_model = options.ngf;
  WNConv1dOptions first(1, d_model, 7);
  first.padding = 3;
  torch::nn::Sequential blocks{WNConv1d(first)};
  for (const int64_t stride : options.up_ratios) {
    d_model *= 2;
    EncoderBlockOptions eo(d_model, stride);
    eo.dilations = options.dilations;
    blocks->push_back(EncoderBlock(eo));
  }
  conv_blocks = register_module("conv_blocks", blocks);
  WNConv1dOptions last(d_model, options.hidden_dim, 3);
  last.padding = 1;
  conv_final_block = register_module(
      "conv_final_block",
      torch::nn::Sequential(Activation1d(Activation1dOptions(d_model)), WNConv1d(last)));
  // The original's CodecEncoder.reset_parameters (init_weights on every Conv1d): the
  // trunc_normal_(std 0.02) it writes into `.weight` is lost, because weight norm recomputes
  // the weight from g and v (spec G17), but the zeroed biases stay. With PyTorch's default
  // biases (uniform ±1/sqrt(fan_in), ±0.38 on the first conv) a fresh encoder's output is ~80x
  // larger and 96-98 % the same for every frame (zero biases: ~97 % signal), and mel-only
  // training at lr 5e-4 often froze the codes (one code for every frame).
  torch::NoGradGuard no_grad;
  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* conv = m->as<WNConv1d>(); conv && conv->bias.defined()) conv->bias.zero_();
  }
}

void CodecEncoderImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::CodecEncoder(ngf=" << options.ngf << ", hop=" << options.hop_length()
         << ", hidden_dim=" << options.hidden_dim << ")";
}

namespace {
void check_wave(const torch::Tensor& wave, int64_t hop) {
  if (wave.dim() != 3 || wave.size(1) != 1 || wave.size(2) % hop != 0 || wave.size(2) == 0) {
    throw ShapeError("CodecEncoder: expected wave [B, 1, N] with N a positive multiple of " +
                     std::to_string(hop) + ", got " + c10::str(wave.sizes()));
  }
}
}  // namespace

torch::Tensor CodecEncoderImpl::forward(const torch::Tensor& wave) {
  check_wave(wave, options.hop_length());
  torch::Tensor x = conv_blocks->forward(wave);
  x = activation_conv(*conv_final_block[0]->as<Activation1d>(),
                      *conv_final_block[1]->as<WNConv1d>(), x)
          .to(wave.scalar_type());
  return x.permute({0, 2, 1});
}

std::vector<torch::Tensor> CodecEncoderImpl::forward_layers(const torch::Tensor& wave) {
  check_wave(wave, options.hop_length());
  std::vector<torch::Tensor> out;
  torch::Tensor x = wave;
  for (auto& m : *conv_blocks) {
    x = m.forward(x);
    out.push_back(x);
  }
  x = conv_final_block[0]->as<Activation1d>()->forward(x);
  out.push_back(x);
  x = conv_final_block[1]->as<WNConv1d>()->forward(x);
  out.push_back(x.permute({0, 2, 1}));
  return out;
}

}  // namespace xcodec::models
