#pragma once
/// Adversarial and feature-matching losses of X-Codec-2.0 (`criterions/gan_loss.py`,
/// `lightning_module.py`; spec §11.1). The GAN is least-squares (MSE against 1 / 0), not hinge.
/// Inputs are the outputs of any number of sub-discriminators, as tensors (see
/// xcodec::models::DiscriminatorOutputs: pass `.logits` and `.feature_maps`); terms are summed
/// over sub-discriminators (and layers), never averaged.
#include <torch/types.h>

#include <vector>

namespace xcodec::losses {

/// L_D terms: real = Σ_k mean((D_k(y) − 1)²), fake = Σ_k mean(D_k(ŷ)²).
struct DiscriminatorAdversarialLoss {
  torch::Tensor real;                        ///< scalar
  torch::Tensor fake;                        ///< scalar
  std::vector<torch::Tensor> real_per_disc;  ///< one scalar per sub-discriminator
  std::vector<torch::Tensor> fake_per_disc;
  /// real + fake (the original then multiplies by lambda_disc = 1).
  torch::Tensor total() const { return real + fake; }
};

/// Discriminator loss from the logits of real audio and of (detached) generated audio; the two
/// lists pair up by index. Throws ShapeError if they differ in length or are empty.
DiscriminatorAdversarialLoss discriminator_adversarial_loss(
    const std::vector<torch::Tensor>& real_logits, const std::vector<torch::Tensor>& fake_logits);

/// L_adv = Σ_k mean((D_k(ŷ) − 1)²).
struct GeneratorAdversarialLoss {
  torch::Tensor total;                  ///< scalar
  std::vector<torch::Tensor> per_disc;  ///< one scalar per sub-discriminator
};
GeneratorAdversarialLoss generator_adversarial_loss(const std::vector<torch::Tensor>& fake_logits);

/// L_fm = Σ_k Σ_j mean |f_kj(ŷ) − f_kj(y)| with the real maps detached. `fake_maps[k]` and
/// `real_maps[k]` are the intermediate maps (not the logits) of sub-discriminator k.
torch::Tensor feature_matching_loss(const std::vector<std::vector<torch::Tensor>>& fake_maps,
                                    const std::vector<std::vector<torch::Tensor>>& real_maps);

}  // namespace xcodec::losses
