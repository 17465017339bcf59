// Discriminator sets by name: one registration line per kind in discriminator_set_kinds().
#include <torch/torch.h>

#include "xcodec/core/error.h"
#include "xcodec/models/discriminators/discriminator_set.h"
#include "xcodec/models/discriminators/discriminators.h"
#include "xcodec/models/discriminators/hifigan_discriminator.h"

namespace xcodec::models {
namespace {

// The group without its `name:` key (each kind's own parser is strict about the rest).
YAML::Node without_name(const YAML::Node& group) {
  YAML::Node out(YAML::NodeType::Map);
  if (!group || group.IsNull()) return out;
  if (!group.IsMap()) throw ConfigError("config key 'discriminator': must be a mapping");
  for (const auto& kv : group) {
    if (kv.first.as<std::string>() != "name") out[kv.first] = kv.second;
  }
  return out;
}

// X-Codec-2.0's pair: HiFi-GAN multi-period + multi-resolution spectrogram discriminators.
class XCodec2Discriminators : public DiscriminatorSet {
 public:
  explicit XCodec2Discriminators(DiscriminatorsConfig config) : disc_(std::move(config)) {}
  DiscriminatorOutputs forward(const torch::Tensor& x) override { return disc_->forward(x); }
  torch::nn::Module& module() override { return *disc_; }
  std::string name() const override { return "xcodec2"; }

 private:
  Discriminators disc_;
};

DiscriminatorSetKind xcodec2_discriminator_kind() {
  DiscriminatorSetKind k;
  k.name = "xcodec2";
  k.description = "X-Codec-2.0: multi-period + multi-resolution spectrogram discriminators";
  k.validate = [](const YAML::Node& group, const std::string& path) {
    DiscriminatorsConfig c;
    c.from_yaml(without_name(group), path);
    c.validate(path);
  };
  k.build = [](const YAML::Node& group) -> std::unique_ptr<DiscriminatorSet> {
    DiscriminatorsConfig c;
    c.from_yaml(without_name(group));
    c.validate();
    if (!c.use_mpd && !c.use_mstft) return nullptr;
    return std::make_unique<XCodec2Discriminators>(c);
  };
  return k;
}

}  // namespace

const std::vector<DiscriminatorSetKind>& discriminator_set_kinds() {
  static const std::vector<DiscriminatorSetKind> kinds = {
      xcodec2_discriminator_kind(),
      hifigan_discriminator_kind(),
  };
  return kinds;
}

const DiscriminatorSetKind& discriminator_set_kind(const YAML::Node& group,
                                                   const std::string& path) {
  std::string name = "xcodec2";
  if (group && group.IsMap() && group["name"]) {
    try {
      name = group["name"].as<std::string>();
    } catch (const YAML::Exception&) {
      throw ConfigError("config key '" + path + ".name': must be a string");
    }
  }
  std::string known;
  for (const auto& k : discriminator_set_kinds()) {
    if (k.name == name) return k;
    known += (known.empty() ? "" : ", ") + k.name;
  }
  throw ConfigError("config key '" + path + ".name': unknown discriminator set '" + name +
                    "'; registered: " + known);
}

std::unique_ptr<DiscriminatorSet> make_discriminator_set(const YAML::Node& group) {
  return discriminator_set_kind(group).build(group);
}

}  // namespace xcodec::models
