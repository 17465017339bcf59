#include "xcodec/models/codecs/codec_registry.h"

#include <yaml-cpp/yaml.h>

#include "xcodec/core/error.h"
#include "xcodec/io/safetensors.h"
#include "xcodec/models/codecs/xcodec2_model.h"

namespace xcodec::models {

std::vector<std::string> codec_family_names() {
  std::vector<std::string> names;
  for (const auto& f : codec_families()) names.push_back(f.name);
  return names;
}

const CodecFamily& codec_family(const std::string& name) {
  for (const auto& f : codec_families()) {
    if (f.name == name) return f;
  }
  std::string known;
  for (const auto& n : codec_family_names()) known += (known.empty() ? "" : ", ") + n;
  throw ConfigError("model.name='" + name + "': unknown codec family; registered: " + known);
}

std::string codec_name_of(const std::string& yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    throw ConfigError(std::string("model config: invalid YAML: ") + e.what());
  }
  if (!root.IsMap() || !root["name"]) return XCodec2ModelImpl::kName;
  try {
    return root["name"].as<std::string>();
  } catch (const YAML::Exception&) {
    throw ConfigError("model.name must be a string (one of the registered codec families)");
  }
}

std::unique_ptr<CodecModel> build_codec(const std::string& yaml, const CodecBuildOptions& options) {
  return codec_family(codec_name_of(yaml)).build(yaml, options);
}

std::string codec_name_of_file(const std::string& path) {
  const auto file = io::SafetensorsFile::open(path);
  const auto& meta = file->metadata();
  const auto it = meta.find(kMetaModel);
  return it == meta.end() ? XCodec2ModelImpl::kName : it->second;
}

std::unique_ptr<CodecModel> load_codec(const std::string& path, const CodecBuildOptions& options) {
  const std::string name = codec_name_of_file(path);
  const CodecFamily* family = nullptr;
  try {
    family = &codec_family(name);
  } catch (const ConfigError& e) {
    throw CheckpointError(path + ": " + e.what());
  }
  return family->load(path, options);
}

}  // namespace xcodec::models
