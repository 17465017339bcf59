#pragma once
/// Semantic reconstruction loss of X-Codec-2.0 (spec §8, §11.1):
/// L_sem = mean((SemanticDecoder(fc_post_s(q)) − hidden_states[16]ᵀ)²), λ 5 applied by the caller.
#include <torch/types.h>

namespace xcodec::losses {

/// Mean squared error between the reconstruction and the teacher features, e.g. [B, 1024, T]
/// each (shapes must match; ShapeError otherwise). The target is detached.
torch::Tensor semantic_reconstruction_loss(const torch::Tensor& reconstruction,
                                           const torch::Tensor& target);

}  // namespace xcodec::losses
