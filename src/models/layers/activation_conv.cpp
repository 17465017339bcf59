#include "xcodec/models/layers/activation_conv.h"

#include <torch/torch.h>

#include "xcodec/models/layers/activation1d.h"
#include "xcodec/models/layers/compute_precision.h"
#include "xcodec/models/layers/wn_conv1d.h"

namespace xcodec::models {

torch::Tensor activation_conv(Activation1dImpl& act, WNConv1dImpl& conv, const torch::Tensor& x) {
  const torch::Tensor lowered = lowered_weight(conv);
  if (!lowered.defined()) return conv.forward(act.forward(x));
  return conv.forward(act.forward_as(x, lowered.scalar_type()));
}

}  // namespace xcodec::models
