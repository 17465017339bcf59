#include "xcodec/losses/gan_loss.h"

#include <torch/torch.h>

#include "xcodec/core/error.h"

namespace xcodec::losses {

DiscriminatorAdversarialLoss discriminator_adversarial_loss(
    const std::vector<torch::Tensor>& real_logits, const std::vector<torch::Tensor>& fake_logits) {
  if (real_logits.empty() || real_logits.size() != fake_logits.size())
    throw ShapeError("discriminator loss: got " + std::to_string(real_logits.size()) +
                     " real and " + std::to_string(fake_logits.size()) +
                     " fake outputs; need the same non-zero number");
  DiscriminatorAdversarialLoss out;
  for (size_t k = 0; k < real_logits.size(); ++k) {
    // F.mse_loss(real, ones) and F.mse_loss(fake, zeros), mean reduction.
    out.real_per_disc.push_back((real_logits[k] - 1.0).pow(2).mean());
    out.fake_per_disc.push_back(fake_logits[k].pow(2).mean());
  }
  out.real = torch::stack(out.real_per_disc).sum();
  out.fake = torch::stack(out.fake_per_disc).sum();
  return out;
}

GeneratorAdversarialLoss generator_adversarial_loss(const std::vector<torch::Tensor>& fake_logits) {
  if (fake_logits.empty()) throw ShapeError("generator adversarial loss: no discriminator outputs");
  GeneratorAdversarialLoss out;
  for (const auto& logits : fake_logits) out.per_disc.push_back((logits - 1.0).pow(2).mean());
  out.total = torch::stack(out.per_disc).sum();
  return out;
}

torch::Tensor feature_matching_loss(const std::vector<std::vector<torch::Tensor>>& fake_maps,
                                    const std::vector<std::vector<torch::Tensor>>& real_maps) {
  if (fake_maps.empty() || fake_maps.size() != real_maps.size())
    throw ShapeError("feature matching: got " + std::to_string(fake_maps.size()) + " fake and " +
                     std::to_string(real_maps.size()) +
                     " real feature-map lists; need the same non-zero number");
  std::vector<torch::Tensor> terms;
  for (size_t k = 0; k < fake_maps.size(); ++k) {
    if (fake_maps[k].size() != real_maps[k].size())
      throw ShapeError("feature matching: sub-discriminator " + std::to_string(k) + " has " +
                       std::to_string(fake_maps[k].size()) + " fake and " +
                       std::to_string(real_maps[k].size()) + " real maps");
    for (size_t j = 0; j < fake_maps[k].size(); ++j) {
      const auto& f = fake_maps[k][j];
      const auto& r = real_maps[k][j];
      if (f.sizes() != r.sizes())
        throw ShapeError("feature matching: map " + std::to_string(j) + " of sub-discriminator " +
                         std::to_string(k) + " is " + c10::str(f.sizes()) + " (fake) vs " +
                         c10::str(r.sizes()) + " (real)");
      terms.push_back((f - r.detach()).abs().mean());
    }
  }
  if (terms.empty()) throw ShapeError("feature matching: no feature maps");
  return torch::stack(terms).sum();
}

}  // namespace xcodec::losses
