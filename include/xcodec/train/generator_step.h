#pragma once
/// The pieces of one optimiser update that `xcodec train` runs (spec xcodec2.md §11.2), shared
/// with the training-step parity test (tests/train/training_step_parity_test.cpp), which checks
/// them against the original's first generator updates (../shared/fixtures/training-step):
///
///   auto loss = generator_loss(cfg.train, mel, codec->forward_train(y, {}), disc.get());
///   optimizer.zero_grad(); loss.total.backward();
///   clip_and_step(params, cfg.train.gen_grad_clip, optimizer, scheduler);
#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "xcodec/losses/mel_loss.h"
#include "xcodec/models/codecs/codec_model.h"
#include "xcodec/models/discriminators/discriminator_set.h"
#include "xcodec/train/config/training_config.h"
#include "xcodec/train/lr_schedule.h"

namespace xcodec::train {

/// The generator objective of one batch.
struct GeneratorLoss {
  torch::Tensor total;  ///< scalar Σ w_k·term_k over the terms with weight > 0
  /// Every term that was computed, unweighted scalars: "mel" always; each term with a weight;
  /// every auxiliary loss the codec returned (logged even at weight 0).
  std::map<std::string, torch::Tensor> terms;
};

/// L_G = Σ_k w_k·L_k over the loss terms of loss_terms.h, w_k = config.weight(k):
///   out    the codec's training forward (recon with gradient, target, auxiliary losses)
///   disc   the discriminators, already frozen by the caller (requires_grad off); nullptr =
///          none (no adversarial or feature-matching term). The real side runs without
///          gradient.
GeneratorLoss generator_loss(const TrainConfig& config, const losses::MultiResolutionMelLoss& mel,
                             const models::CodecTrainOutput& out, models::DiscriminatorSet* disc);

/// Clips the total L2 norm of the gradients of `params` to `max_norm` (torch.nn.utils.
/// clip_grad_norm_; max_norm <= 0 = no clipping), then one optimiser step and one scheduler
/// step. Parameters without a gradient (not on the loss path) are left alone by both, as
/// PyTorch leaves parameters whose .grad is None. Returns the total norm before clipping, or
/// nullopt when clipping is off.
std::optional<double> clip_and_step(const std::vector<torch::Tensor>& params, double max_norm,
                                    torch::optim::Optimizer& optimizer,
                                    WarmupLrScheduler& scheduler);

}  // namespace xcodec::train
