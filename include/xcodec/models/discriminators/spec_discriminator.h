#pragma once
/// Multi-resolution spectrogram discriminator of X-Codec-2.0 (`module/mstft.py`, "SpecDisc";
/// spec §11.4). For each STFT resolution the magnitude sqrt(clamp(re²+im², 1e-7, 1e3)) of the
/// centred, reflect-padded, periodic-Hann STFT is arranged as [B, 1, F, frames] and fed to a
/// 2-D conv stack (NLayerSpecDiscriminator):
///   layer_0: k0 x k0, stride 2, pad k0/2, in → channels
///   layer_1..n: (2s+1)², stride s, pad s, channels × s (capped), one per downsample scale
///   layer_{n+1}: k1 x k1, pad k1/2, × 2 (capped);  layer_{n+2}: bare conv → out_channels
/// with LeakyReLU(0.2) after all but the last. Registration names are the original keys:
/// `model.disc_{i}.model.layer_{j}.0.{weight_g,weight_v,bias}` and
/// `model.disc_{i}.model.layer_{n+2}.*`.
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/moduledict.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

#include "xcodec/audio/stft.h"
#include "xcodec/models/discriminators/discriminator_output.h"
#include "xcodec/models/discriminators/weight_norm_conv2d.h"

namespace xcodec::models {

/// STFT resolutions of the spectral discriminator (YAML `stft_params`).
struct SpecStftParams {
  std::vector<int64_t> fft_sizes{78, 126, 206, 334, 542, 876, 1418, 2296};    ///< samples
  std::vector<int64_t> hop_sizes{39, 63, 103, 167, 271, 438, 709, 1148};      ///< samples
  std::vector<int64_t> win_lengths{78, 126, 206, 334, 542, 876, 1418, 2296};  ///< samples
  std::string window = "hann_window";  ///< only the periodic Hann window is supported

  bool operator==(const SpecStftParams& o) const {
    return fft_sizes == o.fft_sizes && hop_sizes == o.hop_sizes && win_lengths == o.win_lengths &&
           window == o.window;
  }
};

/// Options of the spectral discriminator (YAML keys = field names; the original `model.mstft`).
struct SpecDiscriminatorOptions {
  SpecStftParams stft_params;                       ///< one sub-discriminator per resolution
  int64_t in_channels = 1;                          ///< spectrogram channels
  int64_t out_channels = 1;                         ///< logit channels
  std::vector<int64_t> kernel_sizes{5, 3};          ///< [first layer, last two layers], odd
  int64_t channels = 32;                            ///< channels of layer_0
  int64_t max_downsample_channels = 512;            ///< channel cap
  std::vector<int64_t> downsample_scales{2, 2, 2};  ///< stride (both axes) of layers 1..n
  double negative_slope = 0.2;                      ///< LeakyReLU slope
  double min_power = 1e-7;                          ///< lower clamp of re² + im²
  double max_power = 1e3;                           ///< upper clamp of re² + im² (<= 0: none)
  bool use_weight_norm = true;                      ///< weight_g/weight_v parameters

  /// The small configuration of the training-refs fixture (channels 4, max 16).
  static SpecDiscriminatorOptions small();
  void validate(const std::string& path = "mstft") const;
  void from_yaml(const YAML::Node& node, const std::string& path = "mstft");
  YAML::Node to_yaml() const;
  bool operator==(const SpecDiscriminatorOptions& o) const;
  /// STFT parameters of resolution i (centred, reflect padding).
  audio::StftOptions stft(size_t i) const;
};

/// The conv stack of one resolution (original NLayerSpecDiscriminator).
class SpecSubDiscriminatorImpl : public torch::nn::Cloneable<SpecSubDiscriminatorImpl> {
 public:
  explicit SpecSubDiscriminatorImpl(SpecDiscriminatorOptions options);
  void reset() override;

  /// [B, 1, F, frames] → logits [B, out, F', T'] and the maps after each LeakyReLU.
  DiscriminatorOutputs forward(const torch::Tensor& spec);

  SpecDiscriminatorOptions options;
  torch::nn::ModuleDict model{nullptr};  ///< layer_0 .. layer_{n+2}
};
TORCH_MODULE(SpecSubDiscriminator);

/// One sub-discriminator per STFT resolution.
class SpecDiscriminatorImpl : public torch::nn::Cloneable<SpecDiscriminatorImpl> {
 public:
  explicit SpecDiscriminatorImpl(SpecDiscriminatorOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;

  /// x: [B, 1, T] (or [B, T]) → per resolution: logits [B, 1, F', T'] and 5 feature maps.
  DiscriminatorOutputs forward(const torch::Tensor& x);
  /// The input magnitude of resolution i as the original computes it: [B, frames, F].
  torch::Tensor spectrogram(const torch::Tensor& x, size_t i) const;

  SpecDiscriminatorOptions options;
  torch::nn::ModuleDict model{nullptr};  ///< disc_0 .. disc_{R-1}
};
TORCH_MODULE(SpecDiscriminator);

}  // namespace xcodec::models
