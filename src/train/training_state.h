#pragma once
// Everything a resumed run needs, saved to and restored from a training checkpoint (private to
// src/train): codec and discriminator weights, both AdamW states, the schedulers' positions,
// the loader's position, the loss scale, the step counters and the RNG state.
#include <torch/optim/adamw.h>

#include <cstdint>
#include <string>
#include <vector>

#include "train/mixed_precision.h"
#include "xcodec/data/loading/data_loader.h"
#include "xcodec/models/codecs/codec_model.h"
#include "xcodec/models/discriminators/discriminator_set.h"
#include "xcodec/train/checkpoint.h"
#include "xcodec/train/config/training_config.h"
#include "xcodec/train/lr_schedule.h"

namespace xcodec::train {

/// References to the trainer's pieces (null where a run has none, e.g. no discriminators).
struct TrainingState {
  models::CodecModel& codec;
  models::DiscriminatorSet* disc;
  torch::optim::AdamW& opt_g;
  torch::optim::AdamW* opt_d;
  WarmupLrScheduler& sched_g;
  WarmupLrScheduler* sched_d;
  data::DataLoader& loader;
  LossScaler& scaler;
  int64_t& step;
  int64_t& nonfinite;
};

/// Writes one checkpoint to each of `paths` (atomically). Keys: the codec under "model.", the
/// discriminators under their own names, AdamW moments under "optim_g." / "optim_d."; the
/// model family and config, the training config and the counters in the metadata.
void save_training_state(const TrainingState& state, const TrainingConfig& config,
                         const std::vector<std::string>& paths);

/// Restores `state` from `reader` (strict: a missing or mis-shaped tensor is a CheckpointError).
void load_training_state(const CheckpointReader& reader, TrainingState& state);

}  // namespace xcodec::train
