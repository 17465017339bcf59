#include "xcodec/losses/semantic_loss.h"

#include <torch/torch.h>

#include "xcodec/core/error.h"

namespace xcodec::losses {

torch::Tensor semantic_reconstruction_loss(const torch::Tensor& reconstruction,
                                           const torch::Tensor& target) {
  if (reconstruction.sizes() != target.sizes())
    throw ShapeError("semantic loss: reconstruction " + c10::str(reconstruction.sizes()) +
                     " and target " + c10::str(target.sizes()) +
                     " differ (both should be [B, 1024, T])");
  return torch::mse_loss(reconstruction, target.detach());
}

}  // namespace xcodec::losses
