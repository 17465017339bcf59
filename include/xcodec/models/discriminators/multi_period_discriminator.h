#pragma once
/// HiFi-GAN multi-period discriminator as used by X-Codec-2.0 (`module/mpd.py`,
/// ParallelWaveGAN's HiFiGANMultiPeriodDiscriminator; spec §11.3). Each period p folds the
/// waveform [B, 1, T] (reflect-padded on the right to a multiple of p) into [B, 1, T/p, p] and
/// runs (kernel_sizes[0] x 1) convolutions with strides downsample_scales along time, each
/// followed by LeakyReLU(negative_slope), then an output conv with kernel
/// (kernel_sizes[1] - 1) x 1. Registration names are the original state-dict keys:
/// `discriminators.{i}.convs.{j}.0.{weight_g,weight_v,bias}`, `discriminators.{i}.output_conv.*`.
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

#include "xcodec/models/discriminators/discriminator_output.h"
#include "xcodec/models/discriminators/weight_norm_conv2d.h"

namespace xcodec::models {

/// Options shared by every period (YAML keys = field names; the original `model.mpd` group).
struct MultiPeriodDiscriminatorOptions {
  std::vector<int64_t> periods{2, 3, 5, 7, 11};           ///< folding periods, samples
  int64_t in_channels = 1;                                ///< waveform channels
  int64_t out_channels = 1;                               ///< logit channels
  std::vector<int64_t> kernel_sizes{5, 3};                ///< [time kernel, output kernel + 1], odd
  int64_t channels = 16;                                  ///< channels of the first conv
  std::vector<int64_t> downsample_scales{3, 3, 3, 3, 1};  ///< time stride of each conv
  int64_t max_downsample_channels = 512;                  ///< channel cap
  int64_t channel_increasing_factor = 4;                  ///< channel growth per conv
  double negative_slope = 0.1;                            ///< LeakyReLU slope
  bool bias = true;                                       ///< conv biases
  bool use_weight_norm = true;                            ///< weight_g/weight_v parameters

  /// The small configuration of the training-refs fixture (channels 4, max 32).
  static MultiPeriodDiscriminatorOptions small();
  /// Throws ConfigError naming the key (prefixed with `path`).
  void validate(const std::string& path = "mpd") const;
  void from_yaml(const YAML::Node& node, const std::string& path = "mpd");
  YAML::Node to_yaml() const;
  bool operator==(const MultiPeriodDiscriminatorOptions& o) const;
};

/// One period of the multi-period discriminator.
class PeriodDiscriminatorImpl : public torch::nn::Cloneable<PeriodDiscriminatorImpl> {
 public:
  PeriodDiscriminatorImpl(int64_t period, MultiPeriodDiscriminatorOptions options);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;

  /// [B, in_channels, T] → logits [B, N] (the final map flattened) and the feature maps after
  /// each LeakyReLU ([B, C_j, H_j, period], one per downsample scale).
  DiscriminatorOutputs forward(const torch::Tensor& x);

  int64_t period;
  MultiPeriodDiscriminatorOptions options;
  torch::nn::ModuleList convs{nullptr};  ///< Sequential(conv, LeakyReLU) per scale
  WeightNormConv2d output_conv{nullptr};
};
TORCH_MODULE(PeriodDiscriminator);

/// All periods. forward() returns one logits tensor and one feature-map list per period, in
/// the order of `options.periods`.
class MultiPeriodDiscriminatorImpl : public torch::nn::Cloneable<MultiPeriodDiscriminatorImpl> {
 public:
  explicit MultiPeriodDiscriminatorImpl(MultiPeriodDiscriminatorOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;

  /// x: [B, 1, T] (or [B, T]) waveform → per period: logits [B, N_p], 5 feature maps.
  DiscriminatorOutputs forward(const torch::Tensor& x);

  MultiPeriodDiscriminatorOptions options;
  torch::nn::ModuleList discriminators{nullptr};
};
TORCH_MODULE(MultiPeriodDiscriminator);

}  // namespace xcodec::models
