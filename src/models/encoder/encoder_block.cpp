#include "xcodec/models/encoder/encoder_block.h"

#include <torch/torch.h>

#include "xcodec/models/layers/activation1d.h"
#include "xcodec/models/layers/activation_conv.h"
#include "xcodec/models/layers/residual_unit.h"
#include "xcodec/models/layers/wn_conv1d.h"

namespace xcodec::models {

EncoderBlockImpl::EncoderBlockImpl(EncoderBlockOptions options_) : options(std::move(options_)) {
  reset();
}

void EncoderBlockImpl::reset() {
  const int64_t c = options.out_channels / 2;
  const int64_t s = options.stride;
  torch::nn::Sequential seq;
  for (const int64_t d : options.dilations) seq->push_back(ResidualUnit(ResidualUnitOptions(c, d)));
  seq->push_back(Activation1d(Activation1dOptions(c)));
  WNConv1dOptions down(c, options.out_channels, 2 * s);
  down.stride = s;
  down.padding = s / 2 + s % 2;
  seq->push_back(WNConv1d(down));
  block = register_module("block", seq);
}

void EncoderBlockImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::EncoderBlock(" << options.out_channels / 2 << " -> "
         << options.out_channels << ", stride=" << options.stride << ")";
}

torch::Tensor EncoderBlockImpl::forward(const torch::Tensor& x) {
  const size_t n = block->size();
  torch::Tensor y = x;
  for (size_t i = 0; i + 2 < n; ++i) y = block[i]->as<ResidualUnit>()->forward(y);
  return activation_conv(*block[n - 2]->as<Activation1d>(), *block[n - 1]->as<WNConv1d>(), y)
      .to(x.scalar_type());
}

}  // namespace xcodec::models
