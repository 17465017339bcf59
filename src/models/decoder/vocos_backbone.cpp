#include "xcodec/models/decoder/vocos_backbone.h"

#include <torch/torch.h>

#include "xcodec/core/error.h"
#include "xcodec/models/layers/compute_precision.h"
#include "xcodec/models/layers/parameter_init.h"
#include "xcodec/models/layers/resnet_block.h"
#include "xcodec/models/layers/transformer_block.h"

namespace xcodec::models {

VocosBackboneImpl::VocosBackboneImpl(VocosBackboneOptions options_) : options(options_) { reset(); }

void VocosBackboneImpl::reset() {
  const int64_t c = options.hidden_dim;
  if (options.heads <= 0 || c % options.heads != 0 || c / options.heads != options.pos_meb_dim) {
    throw ConfigError("VocosBackbone: pos_meb_dim " + std::to_string(options.pos_meb_dim) +
                      " must equal hidden_dim / heads = " + std::to_string(c) + " / " +
                      std::to_string(options.heads));
  }
  embed = register_module("embed", make_conv1d(torch::nn::Conv1dOptions(c, c, 7).padding(3)));
  if (!parameter_init_skipped()) {
    torch::NoGradGuard no_grad;
    embed->weight.normal_(0.0, 0.02).clamp_(-2.0, 2.0);  // trunc_normal(0.02) as the original
    embed->bias.zero_();
  }
  ResnetBlockOptions ro(c);
  ro.dropout = options.dropout;
  torch::nn::Sequential prior;
  torch::nn::Sequential post;
  for (int64_t i = 0; i < options.resnet_blocks; ++i) {
    prior->push_back(ResnetBlock(ro));
    post->push_back(ResnetBlock(ro));
  }
  prior_net = register_module("prior_net", prior);
  torch::nn::Sequential blocks;
  for (int64_t i = 0; i < options.depth; ++i)
    blocks->push_back(TransformerBlock(TransformerBlockOptions(c, options.heads)));
  transformers = register_module("transformers", blocks);
  final_layer_norm = register_module(
      "final_layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c}).eps(1e-6)));
  post_net = register_module("post_net", post);
}

void VocosBackboneImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::VocosBackbone(hidden_dim=" << options.hidden_dim
         << ", depth=" << options.depth << ", heads=" << options.heads << ")";
}

torch::Tensor VocosBackboneImpl::forward(const torch::Tensor& x) {
  if (x.dim() != 3 || x.size(2) != options.hidden_dim) {
    throw ShapeError("VocosBackbone: expected [B, T, " + std::to_string(options.hidden_dim) +
                     "], got " + c10::str(x.sizes()));
  }
  torch::Tensor h = conv1d_forward(*embed, x.transpose(1, 2));
  h = prior_net->forward(h);
  // Time-major and contiguous: a transposed view would propagate through the residual adds and
  // send every Linear down the slow strided batched-matmul path.
  h = transformers->forward(h.transpose(1, 2).contiguous());
  h = post_net->forward(h.transpose(1, 2).contiguous());
  return final_layer_norm->forward(h.transpose(1, 2).contiguous());
}

VocosBackboneStages VocosBackboneImpl::forward_stages(const torch::Tensor& x) {
  VocosBackboneStages s;
  s.embed = conv1d_forward(*embed, x.transpose(1, 2));
  s.prior_net = prior_net->forward(s.embed);
  torch::Tensor h = s.prior_net.transpose(1, 2).contiguous();
  for (auto& block : *transformers) {
    h = block.forward(h);
    s.transformers.push_back(h);
  }
  s.post_net = post_net->forward(h.transpose(1, 2).contiguous());
  s.out = final_layer_norm->forward(s.post_net.transpose(1, 2).contiguous());
  return s;
}

}  // namespace xcodec::models
