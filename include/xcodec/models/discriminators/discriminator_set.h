#pragma once
/// Discriminators chosen by name from the `discriminator` config group (`name:` key, default
/// "xcodec2"): a plug-in is its files plus one registration line in
/// src/models/discriminators/discriminator_sets.cpp.
///
///   auto disc = models::make_discriminator_set(cfg.discriminator);  // YAML node of the group
///   DiscriminatorOutputs real = disc->forward(y);                    // y [B, 1, L]
#include <torch/nn/module.h>
#include <torch/types.h>
#include <yaml-cpp/yaml.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "xcodec/models/discriminators/discriminator_output.h"

namespace xcodec::models {

class DiscriminatorSet {
 public:
  virtual ~DiscriminatorSet() = default;
  /// x [B, 1, L] → logits and feature maps of every sub-discriminator.
  virtual DiscriminatorOutputs forward(const torch::Tensor& x) = 0;
  /// Parameters and buffers; its names are the checkpoint keys (saved without a prefix).
  virtual torch::nn::Module& module() = 0;
  virtual std::string name() const = 0;
};

struct DiscriminatorSetKind {
  std::string name;
  std::string description;
  /// Validates the group (strict about unknown keys: ConfigError naming `path`.key).
  std::function<void(const YAML::Node& group, const std::string& path)> validate;
  std::function<std::unique_ptr<DiscriminatorSet>(const YAML::Node& group)> build;
};

const std::vector<DiscriminatorSetKind>& discriminator_set_kinds();
/// The `name:` key of the group ("xcodec2" when absent); ConfigError for an unknown name.
const DiscriminatorSetKind& discriminator_set_kind(const YAML::Node& group,
                                                   const std::string& path = "discriminator");
std::unique_ptr<DiscriminatorSet> make_discriminator_set(const YAML::Node& group);

}  // namespace xcodec::models
