#include "xcodec/models/layers/residual_unit.h"

#include <torch/torch.h>

#include "xcodec/models/layers/activation1d.h"
#include "xcodec/models/layers/activation_conv.h"
#include "xcodec/models/layers/wn_conv1d.h"

namespace xcodec::models {

ResidualUnitImpl::ResidualUnitImpl(ResidualUnitOptions options_) : options(options_) { reset(); }

void ResidualUnitImpl::reset() {
  const int64_t c = options.channels;
  WNConv1dOptions dilated(c, c, options.kernel_size);
  dilated.dilation = options.dilation;
  dilated.padding = (options.kernel_size - 1) * options.dilation / 2;
  block = register_module(
      "block", torch::nn::Sequential(Activation1d(Activation1dOptions(c)), WNConv1d(dilated),
                                     Activation1d(Activation1dOptions(c)),
                                     WNConv1d(WNConv1dOptions(c, c, 1))));
}

void ResidualUnitImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::ResidualUnit(" << options.channels << ", dilation=" << options.dilation
         << ")";
}

torch::Tensor ResidualUnitImpl::forward(const torch::Tensor& x) {
  // With bf16 convolutions the branch stays bf16 until the sum, which is float32 as before.
  torch::Tensor y = activation_conv(*block[0]->as<Activation1d>(), *block[1]->as<WNConv1d>(), x);
  y = activation_conv(*block[2]->as<Activation1d>(), *block[3]->as<WNConv1d>(), y);
  return x + y;
}

}  // namespace xcodec::models
