#pragma once
/// Codec families by name. A family is a plug-in: its files plus one registration line in
/// src/models/codecs/codec_families.cpp. Nothing above models/ names a family.
///
///   auto codec = models::build_codec(yaml_text, options);   // `name:` key, default "xcodec2"
///   auto codec = models::load_codec("model.safetensors");   // name from the file's metadata
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "xcodec/models/codecs/codec_model.h"

namespace xcodec::models {

struct CodecBuildOptions {
  torch::Device device = torch::kCPU;
  /// Build the training-only parts (e.g. X-Codec-2.0's semantic reconstruction head).
  bool training = false;
  uint64_t seed = 0;  ///< seeds anything random the family builds (e.g. a random teacher)
  /// Build what computing the family's conditioning needs (X-Codec-2.0: load its teacher).
  /// Off for export, which only moves weights.
  bool conditioning = true;
  /// Inference files: build and load only what decode() needs (encode() then throws). Families
  /// that cannot split their model load it whole.
  bool decode_only = false;
  /// Inference files: build and load only what encode() needs (decode() then throws); ignored
  /// with decode_only. Families that cannot split their model load it whole.
  bool encode_only = false;
  /// Inference: a folder the family may need besides the weights file (X-Codec-2.0's
  /// w2v-BERT teacher); "" = none.
  std::string teacher;
};

struct CodecFamily {
  std::string name;         ///< `model.name` and the files' `xcodec.model`
  std::string description;  ///< one line for --help and errors
  /// From the model group's YAML text (validated by the family).
  std::function<std::unique_ptr<CodecModel>(const std::string& yaml, const CodecBuildOptions&)>
      build;
  /// From an inference file (config from its metadata, weights loaded strictly), ready for
  /// inference.
  std::function<std::unique_ptr<CodecModel>(const std::string& path, const CodecBuildOptions&)>
      load;
};

/// Registered families, in registration order.
const std::vector<CodecFamily>& codec_families();
std::vector<std::string> codec_family_names();
/// Throws ConfigError naming `name` and listing the registered ones.
const CodecFamily& codec_family(const std::string& name);

/// The `name:` key of a model group's YAML ("xcodec2" when absent).
std::string codec_name_of(const std::string& yaml);
std::unique_ptr<CodecModel> build_codec(const std::string& yaml, const CodecBuildOptions& options);
/// The family named in the file's `xcodec.model` metadata; a file without it is the released
/// X-Codec-2.0 checkpoint.
std::unique_ptr<CodecModel> load_codec(const std::string& path,
                                       const CodecBuildOptions& options = {});
/// Family name a file declares ("xcodec2" for files without metadata).
std::string codec_name_of_file(const std::string& path);

}  // namespace xcodec::models
