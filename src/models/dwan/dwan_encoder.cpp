#include "xcodec/models/dwan/dwan_encoder.h"

#include <torch/torch.h>

#include "xcodec/core/error.h"
#include "xcodec/models/dwan/convnext_block.h"
#include "xcodec/models/layers/compute_precision.h"

namespace xcodec::models {

DwanEncoderImpl::DwanEncoderImpl(DwanEncoderOptions options_) : options(std::move(options_)) {
  reset();
}

int64_t DwanEncoderImpl::hop() const {
  int64_t h = 1;
  for (const int64_t s : options.strides) h *= s;
  return h;
}

void DwanEncoderImpl::reset() {
  const auto& o = options;
  const size_t n = o.strides.size();
  if (n == 0 || o.dims.size() < n || o.depths.size() < n || o.out_dim < 1) {
    throw ConfigError("DwanEncoder: needs strides, and dims/depths with at least len(strides) = " +
                      std::to_string(n) + " entries, and out_dim >= 1");
  }
  stem = register_module("stem",
                         torch::nn::Conv1d(torch::nn::Conv1dOptions(1, o.dims[0], 7).padding(3)));
  stages = register_module("stages", torch::nn::ModuleList());
  int64_t in_dim = o.dims[0];
  for (size_t i = 0; i < n; ++i) {
    const int64_t s = o.strides[i];
    torch::nn::ModuleList down;
    down->push_back(torch::nn::GroupNorm(torch::nn::GroupNormOptions(1, in_dim).eps(1e-5)));
    down->push_back(torch::nn::Conv1d(
        torch::nn::Conv1dOptions(in_dim, o.dims[i], 2 * s).stride(s).padding(s / 2)));
    torch::nn::ModuleList blocks;
    for (int64_t j = 0; j < o.depths[i]; ++j) {
      blocks->push_back(
          ConvNextBlock(ConvNextBlockOptions(o.dims[i], 4 * o.dims[i], 7, o.layer_scale)));
    }
    torch::nn::ModuleList stage;
    stage->push_back(down);
    stage->push_back(blocks);
    stages->push_back(stage);
    in_dim = o.dims[i];
  }
  final_norm = register_module(
      "final_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({in_dim}).eps(1e-5)));
  final_proj = register_module("final_proj", torch::nn::Linear(in_dim, o.out_dim));
  init_dwan_weights(*this);
}

void DwanEncoderImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::DwanEncoder(hop=" << hop() << ", out_dim=" << options.out_dim << ")";
}

torch::Tensor DwanEncoderImpl::forward(const torch::Tensor& wave) {
  if (wave.dim() != 3 || wave.size(1) != 1) {
    throw ShapeError("DwanEncoder: expected [B, 1, L], got " + c10::str(wave.sizes()));
  }
  if (wave.size(2) < hop()) {
    throw ShapeError("DwanEncoder: input of " + std::to_string(wave.size(2)) +
                     " samples is shorter than one frame (" + std::to_string(hop()) + ")");
  }
  torch::Tensor x = conv1d_forward(*stem, wave);
  // Layers are looked up through the containers (not cached pointers), so clone() stays valid.
  for (const auto& stage_module : *stages) {
    auto& stage = *stage_module->as<torch::nn::ModuleListImpl>();
    auto& down = *stage[0]->as<torch::nn::ModuleListImpl>();
    x = down[0]->as<torch::nn::GroupNormImpl>()->forward(x);
    x = conv1d_forward(*down[1]->as<torch::nn::Conv1dImpl>(), x);
    for (const auto& block : *stage[1]->as<torch::nn::ModuleListImpl>()) {
      x = block->as<ConvNextBlockImpl>()->forward(x);
    }
  }
  x = final_norm->forward(x.transpose(1, 2));
  return linear_forward(*final_proj, x);
}

}  // namespace xcodec::models
