#include "xcodec/train/loss_terms.h"

namespace xcodec::train {

const std::vector<LossTermInfo>& loss_terms() {
  static const std::vector<LossTermInfo> terms = {
      {"mel", "multi-resolution mel L1 (always computed and logged)", false, false},
      {"stft", "multi-resolution STFT: spectral convergence + log magnitude", false, false},
      {"l1", "waveform L1", false, false},
      {"adv", "generator adversarial (LSGAN), summed over sub-discriminators", false, true},
      {"feat", "feature matching, summed over sub-discriminators and layers", false, true},
      {"semantic", "the codec's semantic reconstruction loss (X-Codec-2.0)", true, false},
      {"codebook", "the quantizer's own loss (commitment, codebook, entropy)", true, false},
      {"disc", "scale of the discriminator loss (not a generator term)", false, false},
  };
  return terms;
}

std::string loss_term_names() {
  std::string out;
  for (const auto& t : loss_terms()) out += (out.empty() ? "" : ", ") + t.name;
  return out;
}

bool is_loss_term(const std::string& name) {
  for (const auto& t : loss_terms()) {
    if (t.name == name) return true;
  }
  return false;
}

}  // namespace xcodec::train
