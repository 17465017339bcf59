#pragma once
/// HiFi-GAN multi-period (MPD) + multi-scale (MSD) discriminators as DwanCodec uses them
/// (`models/discriminators.py` `MultiDiscriminator`; spec quantizers-and-variants.md §5.3),
/// registered as the discriminator set "hifigan".
///
///   MPD, per period p: reflect-pad the end to a multiple of p, fold to [B, 1, L/p, p];
///        Conv2d (5,1) 1→32→128→512→1024 stride (3,1), 1024→1024 stride 1, padding (2,0);
///        LeakyReLU 0.1 after each; conv_post Conv2d(1024→1, (3,1), p(1,0)). Weight norm.
///   MSD, 3 scales: raw, AvgPool1d(4, 2, padding 2) once, twice (cumulative); the table of §5.3
///        (Conv1d k15 then grouped k41 ...); conv_post Conv1d(1024→1, 3, p1). The first scale
///        uses spectral norm (one power iteration per forward in training mode), the others
///        weight norm.
/// Every sub-discriminator returns its logits flattened to [B, N] and its feature maps: all
/// convolution activations plus the conv_post output (MPD 6, MSD 8), as the original's fmap.
///
/// Keys are those of the original `model_d_state_dict` (torch.nn.utils.parametrizations):
///   `mpd.discriminators.{i}.convs.{j}.parametrizations.weight.original0` (g, [out, 1, 1, 1]),
///   `....original1` (v), `....bias`, `mpd.discriminators.{i}.conv_post.*`,
///   `msd.discriminators.{i}.convs.{j}.…`, and for spectral norm
///   `msd.discriminators.0.convs.{j}.parametrizations.weight.original` plus the power-iteration
///   vectors `....parametrizations.weight.0.u` / `.v`. PyTorch names those `_u` / `_v`; a
///   leading '_' marks a non-persistent buffer here (state_dict.h), and they must survive a
///   resume, so the underscore is dropped.
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/moduledict.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "xcodec/models/discriminators/discriminator_output.h"
#include "xcodec/models/discriminators/discriminator_set.h"

namespace xcodec::models {

/// YAML group `discriminator` with `name: hifigan`.
struct HifiGanDiscriminatorConfig {
  std::string name = "hifigan";                  ///< the set's registry name
  std::vector<int64_t> periods{2, 3, 5, 7, 11};  ///< MPD periods, samples
  int64_t scales = 3;                            ///< MSD scales (raw, /2, /4, ...)
  bool use_spectral_norm_first_scale = true;     ///< MSD scale 0: spectral (else weight) norm
  /// Width divisor of every conv (1 = the original; a power of two up to 32 for small test
  /// models). Beyond 8 the grouped MSD convs have fewer input channels than groups: their
  /// groups are then capped at the input width.
  int64_t channel_scale = 1;

  /// Throws ConfigError naming `<path>.<key>`.
  void validate(const std::string& path = "discriminator") const;
  /// Strict: unknown keys throw ConfigError naming `<path>.<key>`. Does not validate.
  void from_yaml(const YAML::Node& node, const std::string& path = "discriminator");
  YAML::Node to_yaml() const;
  bool operator==(const HifiGanDiscriminatorConfig& o) const {
    return name == o.name && periods == o.periods && scales == o.scales &&
           use_spectral_norm_first_scale == o.use_spectral_norm_first_scale &&
           channel_scale == o.channel_scale;
  }
};

enum class ConvNorm {
  kWeight,    ///< parametrizations.weight_norm (dim 0): original0 = g, original1 = v
  kSpectral,  ///< parametrizations.spectral_norm: original, 0.u, 0.v
};

/// Spectral-norm power-iteration state: buffers `u` [out] and `v` [in·k].
class SpectralNormStateImpl : public torch::nn::Cloneable<SpectralNormStateImpl> {
 public:
  SpectralNormStateImpl(int64_t rows, int64_t cols);
  void reset() override;
  int64_t rows;
  int64_t cols;
  torch::Tensor u;
  torch::Tensor v;
};
TORCH_MODULE(SpectralNormState);

/// The `parametrizations.weight` module of a normalised conv: holds the raw parameters and
/// computes the effective weight.
class ParametrizedWeightImpl : public torch::nn::Cloneable<ParametrizedWeightImpl> {
 public:
  ParametrizedWeightImpl(std::vector<int64_t> shape, ConvNorm norm);
  void reset() override;
  /// Effective weight of `shape`. Weight norm: v·g/‖v‖ (norm over all but dim 0, no eps).
  /// Spectral norm: W/σ with σ = uᵀ W v; in training mode one power iteration first updates
  /// u and v (in place, no gradient), as torch's _SpectralNorm.
  torch::Tensor weight();

  std::vector<int64_t> shape;
  ConvNorm norm;
  torch::Tensor original0;           ///< weight norm: g [out, 1, ...]
  torch::Tensor original1;           ///< weight norm: v [shape]
  torch::Tensor original;            ///< spectral norm: W [shape]
  SpectralNormState state{nullptr};  ///< spectral norm: registered as "0"
};
TORCH_MODULE(ParametrizedWeight);

struct NormedConvOptions {
  int64_t rank = 1;  ///< 1: Conv1d, 2: Conv2d
  int64_t in_channels = 1;
  int64_t out_channels = 1;
  std::array<int64_t, 2> kernel{1, 1};   ///< (time, width); Conv1d uses [0]
  std::array<int64_t, 2> stride{1, 1};   ///< Conv1d uses [0]
  std::array<int64_t, 2> padding{0, 0};  ///< Conv1d uses [0]
  int64_t groups = 1;
  ConvNorm norm = ConvNorm::kWeight;
};

/// Conv1d/Conv2d with a PyTorch-parametrized, normalised weight. Init: PyTorch's conv default
/// (Kaiming-uniform a = √5, bias U(±1/√fan_in)) before normalisation, as the original.
class NormedConvImpl : public torch::nn::Cloneable<NormedConvImpl> {
 public:
  explicit NormedConvImpl(NormedConvOptions options);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// [B, in, T] (rank 1) or [B, in, H, W] (rank 2) → same rank, out channels.
  torch::Tensor forward(const torch::Tensor& x);

  NormedConvOptions options;
  torch::Tensor bias;
  torch::nn::ModuleDict parametrizations{nullptr};  ///< {"weight": ParametrizedWeight}
};
TORCH_MODULE(NormedConv);

/// One period of the MPD (`DiscriminatorP`).
class HifiGanPeriodDiscriminatorImpl : public torch::nn::Cloneable<HifiGanPeriodDiscriminatorImpl> {
 public:
  HifiGanPeriodDiscriminatorImpl(int64_t period, int64_t channel_scale);
  void reset() override;
  /// [B, 1, L] → logits [B, N] and 6 feature maps.
  DiscriminatorOutputs forward(const torch::Tensor& x);

  int64_t period;
  int64_t channel_scale;
  torch::nn::ModuleList convs{nullptr};
  NormedConv conv_post{nullptr};
};
TORCH_MODULE(HifiGanPeriodDiscriminator);

/// One scale of the MSD (`DiscriminatorS`).
class HifiGanScaleDiscriminatorImpl : public torch::nn::Cloneable<HifiGanScaleDiscriminatorImpl> {
 public:
  HifiGanScaleDiscriminatorImpl(ConvNorm norm, int64_t channel_scale);
  void reset() override;
  /// [B, 1, L] → logits [B, N] and 8 feature maps.
  DiscriminatorOutputs forward(const torch::Tensor& x);

  ConvNorm norm;
  int64_t channel_scale;
  torch::nn::ModuleList convs{nullptr};
  NormedConv conv_post{nullptr};
};
TORCH_MODULE(HifiGanScaleDiscriminator);

/// The MPD (`MultiPeriodDiscriminator`): `discriminators.{i}` per period.
class HifiGanMultiPeriodImpl : public torch::nn::Cloneable<HifiGanMultiPeriodImpl> {
 public:
  HifiGanMultiPeriodImpl(std::vector<int64_t> periods, int64_t channel_scale);
  void reset() override;
  /// [B, 1, L] → one output per period.
  DiscriminatorOutputs forward(const torch::Tensor& x);

  std::vector<int64_t> periods;
  int64_t channel_scale;
  torch::nn::ModuleList discriminators{nullptr};
};
TORCH_MODULE(HifiGanMultiPeriod);

/// The MSD (`MultiScaleDiscriminator`): `discriminators.{i}` per scale; scale i > 0 sees the
/// input average-pooled (4, 2, padding 2) i times.
class HifiGanMultiScaleImpl : public torch::nn::Cloneable<HifiGanMultiScaleImpl> {
 public:
  HifiGanMultiScaleImpl(int64_t scales, bool spectral_first, int64_t channel_scale);
  void reset() override;
  /// [B, 1, L] → one output per scale.
  DiscriminatorOutputs forward(const torch::Tensor& x);

  int64_t scales;
  bool spectral_first;
  int64_t channel_scale;
  torch::nn::ModuleList discriminators{nullptr};
};
TORCH_MODULE(HifiGanMultiScale);

/// The original's `MultiDiscriminator`: `mpd` + `msd`.
class HifiGanDiscriminatorImpl : public torch::nn::Cloneable<HifiGanDiscriminatorImpl> {
 public:
  explicit HifiGanDiscriminatorImpl(HifiGanDiscriminatorConfig config = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// x [B, 1, L] (or [B, L]) → len(periods) MPD outputs, then `scales` MSD outputs.
  DiscriminatorOutputs forward(const torch::Tensor& x);

  HifiGanDiscriminatorConfig config;
  HifiGanMultiPeriod mpd{nullptr};
  HifiGanMultiScale msd{nullptr};
};
TORCH_MODULE(HifiGanDiscriminator);

/// The "hifigan" discriminator set, for discriminator_sets.cpp.
DiscriminatorSetKind hifigan_discriminator_kind();

}  // namespace xcodec::models
