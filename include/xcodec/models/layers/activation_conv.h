#pragma once
/// The pair that recurs through the BigCodec encoder: an anti-aliased activation feeding a
/// weight-normalised convolution. When the convolution has a bf16 copy of its weight
/// (compute_precision.h), the activation's fused kernel writes bf16 directly and the
/// convolution returns bf16, so no conversion pass sits between them. The values are those of
/// converting around the convolution (the kernel rounds as `.to(kBFloat16)` does).
#include <torch/types.h>

namespace xcodec::models {

class Activation1dImpl;
class WNConv1dImpl;

/// conv(act(x)) in the dtype `conv` computes in: bf16 when it is lowered, else x's dtype.
torch::Tensor activation_conv(Activation1dImpl& act, WNConv1dImpl& conv, const torch::Tensor& x);

}  // namespace xcodec::models
