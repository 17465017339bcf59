#include "xcodec/train/generator_step.h"

#include <torch/torch.h>

#include "xcodec/losses/gan_loss.h"
#include "xcodec/losses/stft_loss.h"
#include "xcodec/train/loss_terms.h"

namespace xcodec::train {

GeneratorLoss generator_loss(const TrainConfig& config, const losses::MultiResolutionMelLoss& mel,
                             const models::CodecTrainOutput& out, models::DiscriminatorSet* disc) {
  GeneratorLoss g;
  const torch::Tensor& y_hat = out.recon;
  const torch::Tensor& y = out.target;
  auto w = [&](const std::string& term) { return config.weight(term); };
  // The mel term is always computed: it is the quantity every run logs.
  g.terms["mel"] = mel(y_hat.squeeze(1).to(torch::kFloat32), y.squeeze(1)).total;
  if (disc && (w("adv") > 0 || w("feat") > 0)) {
    models::DiscriminatorOutputs real;
    {
      torch::NoGradGuard no_grad;
      real = disc->forward(y);
    }
    const auto fake = disc->forward(y_hat);
    g.terms["adv"] = losses::generator_adversarial_loss(fake.logits).total;
    g.terms["feat"] = losses::feature_matching_loss(fake.feature_maps, real.feature_maps);
  }
  if (w("stft") > 0) {
    g.terms["stft"] = losses::multi_resolution_stft_loss(y_hat.squeeze(1).to(torch::kFloat32),
                                                         y.squeeze(1), config.stft_loss)
                          .total;
  }
  if (w("l1") > 0) g.terms["l1"] = (y_hat.to(torch::kFloat32) - y).abs().mean();
  for (const auto& [name, t] : out.losses) g.terms[name] = t;
  g.total = torch::zeros({}, y.options());
  for (const auto& term : loss_terms()) {
    const double weight = w(term.name);
    if (term.name != "disc" && weight > 0 && g.terms.count(term.name))
      g.total = g.total + weight * g.terms.at(term.name);
  }
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
