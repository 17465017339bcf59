#pragma once
// Validation pass of the trainer (private to src/train): the codec in eval mode over a fixed
// set of crops, with the figures that say whether it still codes (mel loss, pooled codebook
// usage and perplexity, distinct codes per crop) and the first reconstructions as examples.
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "xcodec/data/loading/data_loader.h"
#include "xcodec/eval/metrics/codec_stats.h"
#include "xcodec/losses/mel_loss.h"
#include "xcodec/models/codecs/codec_model.h"

namespace xcodec::train {

struct ValidationResult {
  double mel_loss = 0;       ///< mean over crops (unweighted sum over resolutions)
  eval::CodeUsage usage;     ///< all codes of all quantizers pooled
  double codes_per_utt = 0;  ///< distinct codes per crop, mean over crops and quantizers
  int64_t items = 0;         ///< crops evaluated
  std::vector<std::vector<float>> examples;  ///< the first reconstructions, [L] each
};

/// `batches` batches of `loader` through `codec` without gradient (eval mode, train mode
/// restored after); cached features in the batches are used when present.
ValidationResult run_validation(models::CodecModel& codec, data::DataLoader& loader,
                                int64_t batches, const losses::MultiResolutionMelLoss& mel,
                                const torch::Device& device, int64_t max_examples);

}  // namespace xcodec::train
