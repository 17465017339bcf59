#pragma once
/// Both discriminator families of the X-Codec-2.0 recipe in one module, registered under the
/// names the original LightningModule used, so `named_parameters()` gives the released
/// checkpoint keys (spec §9.5): `discriminator.discriminators.{0..4}.…` (multi-period) and
/// `spec_discriminator.model.disc_{0..7}.…` (spectral). One AdamW over `parameters()` is the
/// original discriminator optimiser.
///
///   models::Discriminators disc(config.discriminator);
///   auto real = disc->forward(y);            // 5 MPD + 8 spectral sub-discriminators
///   auto fake = disc->forward(y_hat.detach());
///   auto l_d = losses::discriminator_adversarial_loss(real.logits, fake.logits).total();
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>
#include <yaml-cpp/yaml.h>

#include <string>

#include "xcodec/models/discriminators/discriminator_output.h"
#include "xcodec/models/discriminators/multi_period_discriminator.h"
#include "xcodec/models/discriminators/spec_discriminator.h"

namespace xcodec::models {

/// Both discriminator families of the X-Codec-2.0 recipe (YAML group `discriminator`).
struct DiscriminatorsConfig {
  bool use_mpd = true;                  ///< build the multi-period discriminator
  MultiPeriodDiscriminatorOptions mpd;  ///< its options (original `model.mpd`)
  bool use_mstft = true;                ///< build the spectral discriminator
  SpecDiscriminatorOptions mstft;       ///< its options (original `model.mstft`)

  void validate(const std::string& path = "discriminator") const;
  void from_yaml(const YAML::Node& node, const std::string& path = "discriminator");
  YAML::Node to_yaml() const;
  bool operator==(const DiscriminatorsConfig& o) const {
    return use_mpd == o.use_mpd && mpd == o.mpd && use_mstft == o.use_mstft && mstft == o.mstft;
  }
};

/// The discriminators chosen by a DiscriminatorsConfig.
class DiscriminatorsImpl : public torch::nn::Cloneable<DiscriminatorsImpl> {
 public:
  explicit DiscriminatorsImpl(DiscriminatorsConfig config = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;

  /// x: [B, 1, T] or [B, T] → the multi-period outputs (if used) followed by the spectral ones.
  DiscriminatorOutputs forward(const torch::Tensor& x);

  DiscriminatorsConfig config;
  MultiPeriodDiscriminator mpd{nullptr};  ///< registered as "discriminator" (null if unused)
  SpecDiscriminator mstft{nullptr};       ///< registered as "spec_discriminator" (null if unused)
};
TORCH_MODULE(Discriminators);

}  // namespace xcodec::models
