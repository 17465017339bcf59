#pragma once
/// The pieces of one optimiser update that `xcodec train` runs (spec xcodec2.md §11.2), shared
/// with the training-step parity test (tests/train/training_step_parity_test.cpp), which checks
/// them against the original's first generator updates (../shared/fixtures/training-step):
///
///   auto loss = generator_loss(cfg.train, mel, y_hat, y, disc, semantic_recon, target);
///   optimizer.zero_grad(); loss.total.backward();
///   clip_and_step(params, cfg.train.gen_grad_clip, optimizer, scheduler);
#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "xcodec/losses/mel_loss.h"
#include "xcodec/models/discriminators/discriminators.h"
#include "xcodec/train/config/training_config.h"
#include "xcodec/train/lr_schedule.h"

namespace xcodec::train {

/// The generator objective of one batch.
struct GeneratorLoss {
  torch::Tensor total;  ///< scalar Σ λ_k·term_k over the terms switched on (train.use_*_loss)
  /// Every term that was computed, unweighted scalars: "mel" always; "adv" and "feat" with
  /// discriminators; "semantic" with a semantic target; "stft" when use_stft_loss.
  std::map<std::string, torch::Tensor> terms;
};

/// L_G = λ_mel·L_mel + λ_adv·L_adv + λ_feat·(L_fm(MPD) + L_fm(Spec)) + λ_sem·L_sem
/// [+ λ_stft·L_stft], each term only when its use_*_loss switch is on.
///   y_hat, y          [B, 1, L] reconstruction (with gradient) and target
///   disc              the discriminators, already frozen by the caller (requires_grad off);
///                     an empty holder = none (no adversarial or feature-matching term). The
///                     real side runs without gradient.
///   semantic_recon    [B, S, T] SemanticDecoder output, and
///   semantic_target   [B, S, T] teacher states; undefined = no semantic branch (no term).
GeneratorLoss generator_loss(const TrainConfig& config, const losses::MultiResolutionMelLoss& mel,
                             const torch::Tensor& y_hat, const torch::Tensor& y,
                             models::Discriminators disc, const torch::Tensor& semantic_recon,
                             const torch::Tensor& semantic_target);

/// Clips the total L2 norm of the gradients of `params` to `max_norm` (torch.nn.utils.
/// clip_grad_norm_; max_norm <= 0 = no clipping), then one optimiser step and one scheduler
/// step. Parameters without a gradient (not on the loss path) are left alone by both, as
/// PyTorch leaves parameters whose .grad is None. Returns the total norm before clipping, or
/// nullopt when clipping is off.
std::optional<double> clip_and_step(const std::vector<torch::Tensor>& params, double max_norm,
                                    torch::optim::Optimizer& optimizer,
                                    WarmupLrScheduler& scheduler);

}  // namespace xcodec::train
