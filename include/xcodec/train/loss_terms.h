#pragma once
/// The generator's loss terms by name. `train.lambdas.<term>` weights each one (0 switches it
/// off); a term is a row of the table in src/train/loss_terms.cpp. Two kinds:
///   - built-in terms computed from the reconstruction, the target and the discriminators
///     (mel, stft, l1, adv, feat);
///   - model terms: auxiliary losses a codec family returns from forward_train() under that
///     name (semantic, codebook).
/// `disc` is not a generator term: it scales the discriminator loss.
#include <string>
#include <vector>

namespace xcodec::train {

struct LossTermInfo {
  std::string name;
  std::string description;
  bool from_model = false;           ///< read from CodecTrainOutput::losses
  bool needs_discriminator = false;  ///< adv, feat
};

/// Every term train.lambdas accepts, in log order (plus "disc").
const std::vector<LossTermInfo>& loss_terms();
/// "mel, stft, ..." for error messages.
std::string loss_term_names();
bool is_loss_term(const std::string& name);

}  // namespace xcodec::train
