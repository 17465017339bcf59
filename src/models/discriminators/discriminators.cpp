#include "xcodec/models/discriminators/discriminators.h"

#include <torch/torch.h>

#include "xcodec/core/error.h"
#include "xcodec/io/yaml_fields.h"

namespace xcodec::models {

// ---- both families -------------------------------------------------------------------------

void DiscriminatorsConfig::validate(const std::string& path) const {
  if (!use_mpd && !use_mstft)
    throw ConfigError("config keys '" + io::join_key(path, "use_mpd") + "' and '" +
                      io::join_key(path, "use_mstft") + "' are both false: no discriminator");
  mpd.validate(io::join_key(path, "mpd"));
  mstft.validate(io::join_key(path, "mstft"));
}

void DiscriminatorsConfig::from_yaml(const YAML::Node& node, const std::string& path) {
  io::YamlReader r(node, path);
  r.read("use_mpd", use_mpd);
  mpd.from_yaml(r.child("mpd"), r.key_path("mpd"));
  r.read("use_mstft", use_mstft);
  mstft.from_yaml(r.child("mstft"), r.key_path("mstft"));
  r.finish();
}

YAML::Node DiscriminatorsConfig::to_yaml() const {
  YAML::Node n;
  n["use_mpd"] = io::yaml_value(use_mpd);
  n["mpd"] = mpd.to_yaml();
  n["use_mstft"] = io::yaml_value(use_mstft);
  n["mstft"] = mstft.to_yaml();
  return n;
}

// ---- module --------------------------------------------------------------------------------

DiscriminatorsImpl::DiscriminatorsImpl(DiscriminatorsConfig config_) : config(std::move(config_)) {
  reset();
}

void DiscriminatorsImpl::reset() {
  config.validate();
  mpd = nullptr;
  mstft = nullptr;
  // Registration order = the original's (discriminator, then spec_discriminator).
  if (config.use_mpd) mpd = register_module("discriminator", MultiPeriodDiscriminator(config.mpd));
  if (config.use_mstft)
    mstft = register_module("spec_discriminator", SpecDiscriminator(config.mstft));
}

void DiscriminatorsImpl::pretty_print(std::ostream& stream) const {
  stream << "xcodec::models::Discriminators(mpd=" << (config.use_mpd ? "on" : "off")
         << ", mstft=" << (config.use_mstft ? "on" : "off") << ")";
}

DiscriminatorOutputs DiscriminatorsImpl::forward(const torch::Tensor& x) {
  DiscriminatorOutputs out;
  if (mpd) out.append(mpd->forward(x));
  if (mstft) out.append(mstft->forward(x));
  return out;
}

}  // namespace xcodec::models
