#pragma once
/// `xcodec train`: the X-Codec-2.0 GAN recipe (spec xcodec2.md §11) as a small loop.
///
/// Per step (= one discriminator update + one generator update, accumulated over
/// train.trainer.accumulate_grad_batches batches):
///   1. generator forward: teacher hidden states (no grad) → codec → ŷ, semantic reconstruction
///   2. discriminators: L_D = Σ_k mean((D_k(y) − 1)²) + mean(D_k(ŷ.detach())²); clip; AdamW; lr
///   step
///   3. generator, against the just-updated discriminators:
///      L_G = λ_mel·L_mel + λ_adv·L_adv + λ_feat·(L_fm(MPD) + L_fm(Spec)) + λ_sem·L_sem [+
///      λ_stft·L_stft] clip; AdamW; lr step
/// Checkpoints (log_dir/step=N.ckpt, log_dir/last.ckpt) hold the codec, the discriminators, both
/// optimisers, the step, the loader position and the RNG state, so a resumed run continues the
/// uninterrupted one; a run started on a log_dir with checkpoints resumes automatically.
#include <cstdint>
#include <string>

#include "xcodec/core/error.h"
#include "xcodec/train/config/training_config.h"

namespace xcodec::train {

/// The run stopped because the codebook collapsed (train.stop_on_collapse); the message names
/// the symptoms, the likely causes and the checkpoint written.
class TrainingCollapsed : public Error {
 public:
  using Error::Error;
};

/// What a finished (or interrupted) run reports.
struct TrainResult {
  int64_t steps = 0;            ///< steps completed in total (including resumed ones)
  int64_t steps_this_run = 0;   ///< steps run by this call
  bool interrupted = false;     ///< stopped by SIGINT/SIGTERM (last.ckpt written)
  std::string last_checkpoint;  ///< path of the last checkpoint written ("" if none)
  double last_mel_loss = 0.0;   ///< mel loss of the last step (unweighted sum over resolutions)
  double first_mel_loss = 0.0;  ///< mel loss of the first step of this run
};

/// Runs (or resumes) training as configured. Writes config.yaml, metrics.jsonl, TensorBoard
/// events and checkpoints under config.log_dir. Throws xcodec::Error on configuration or data
/// errors; returns normally on completion or on a graceful stop.
TrainResult run_training(const TrainingConfig& config);

/// Writes inference weights from a training checkpoint (or a weights file): the codec's
/// tensors under their original key names (training-only heads dropped unless `keep_heads`),
/// with the model config in `__metadata__`, so encode/decode need nothing else.
void export_checkpoint(const std::string& checkpoint, const std::string& output,
                       bool keep_heads = false);

}  // namespace xcodec::train
