#include "xcodec/train/generator_step.h"

#include <torch/torch.h>

#include "xcodec/losses/gan_loss.h"
#include "xcodec/losses/semantic_loss.h"
#include "xcodec/losses/stft_loss.h"

namespace xcodec::train {

GeneratorLoss generator_loss(const TrainConfig& config, const losses::MultiResolutionMelLoss& mel,
                             const torch::Tensor& y_hat, const torch::Tensor& y,
                             models::Discriminators disc, const torch::Tensor& semantic_recon,
                             const torch::Tensor& semantic_target) {
  GeneratorLoss g;
  // The mel term is always computed: it is the quantity every run logs.
  g.terms["mel"] = mel(y_hat.squeeze(1).to(torch::kFloat32), y.squeeze(1)).total;
  if (disc && (config.use_adv_loss || config.use_feat_loss)) {
    models::DiscriminatorOutputs real;
    {
      torch::NoGradGuard no_grad;
      real = disc->forward(y);
    }
    const auto fake = disc->forward(y_hat);
    g.terms["adv"] = losses::generator_adversarial_loss(fake.logits).total;
    g.terms["feat"] = losses::feature_matching_loss(fake.feature_maps, real.feature_maps);
  }
  if (semantic_target.defined()) {
    g.terms["semantic"] = losses::semantic_reconstruction_loss(semantic_recon, semantic_target);
  }
  if (config.use_stft_loss) {
    g.terms["stft"] = losses::multi_resolution_stft_loss(y_hat.squeeze(1).to(torch::kFloat32),
                                                         y.squeeze(1), config.stft_loss)
                          .total;
  }
  g.total = torch::zeros({}, y.options());
  auto add = [&](const char* name, bool use, double lambda) {
    if (use && g.terms.count(name)) g.total = g.total + lambda * g.terms.at(name);
  };
  const auto& lam = config.lambdas;
  add("mel", config.use_mel_loss, lam.mel);
  add("adv", config.use_adv_loss, lam.adv);
  add("feat", config.use_feat_loss, lam.feat);
  add("semantic", config.use_semantic_loss, lam.semantic);
  add("stft", config.use_stft_loss, lam.stft);
  return g;
}

std::optional<double> clip_and_step(const std::vector<torch::Tensor>& params, double max_norm,
                                    torch::optim::Optimizer& optimizer,
                                    WarmupLrScheduler& scheduler) {
  std::optional<double> norm;
  // Both skip parameters whose gradient is undefined, like PyTorch's for a None .grad.
  if (max_norm > 0) norm = torch::nn::utils::clip_grad_norm_(params, max_norm);
  optimizer.step();
  scheduler.step();
  return norm;
}

}  // namespace xcodec::train
