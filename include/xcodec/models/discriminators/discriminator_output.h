#pragma once
/// What a family of discriminators returns: per sub-discriminator, the final logits (used by the
/// adversarial losses) and the intermediate feature maps (used by feature matching). The field
/// layout matches the inputs of xcodec::losses, so a trainer passes `.logits` and
/// `.feature_maps` straight through.
#include <torch/types.h>

#include <vector>

namespace xcodec::models {

struct DiscriminatorOutputs {
  /// Final output of each sub-discriminator (MPD: [B, N] flattened; spectral: [B, 1, F', T']).
  std::vector<torch::Tensor> logits;
  /// Intermediate maps (after the activation) of each sub-discriminator, outer index matching
  /// `logits`.
  std::vector<std::vector<torch::Tensor>> feature_maps;

  size_t size() const { return logits.size(); }
  /// Appends another family's outputs (e.g. the spectral ones after the multi-period ones).
  void append(DiscriminatorOutputs other) {
    for (auto& t : other.logits) logits.push_back(std::move(t));
    for (auto& f : other.feature_maps) feature_maps.push_back(std::move(f));
  }
};

}  // namespace xcodec::models
