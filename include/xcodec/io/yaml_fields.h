#pragma once
/// Strict, typed reading and tidy writing of YAML config mappings, for the `from_yaml` /
/// `to_yaml` of config structs. Every read marks its key as known; `finish()` then rejects any
/// key nobody read, so a typo in a YAML file or an override is an error naming the full dotted
/// key (`train.trainer.max_stepz`), and a wrongly typed value names the key and the expected type.
///
///   void TrainerConfig::from_yaml(const YAML::Node& node, const std::string& path) {
///     io::YamlReader r(node, path);
///     r.read("max_steps", max_steps);
///     r.finish();
///   }
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

#include "xcodec/core/error.h"

namespace xcodec::io {

/// Reads the keys of one YAML mapping. An undefined or null node reads as an empty mapping, so
/// every field keeps its in-class default. Throws ConfigError if the node is not a mapping.
class YamlReader {
 public:
  YamlReader(const YAML::Node& node, std::string path);

  /// Whether `key` is present (and not null); marks it as known.
  bool has(const std::string& key);
  /// Reads `key` into `field` if present; absent keys leave the field unchanged. A YAML null
  /// leaves numbers and bools unchanged, and clears strings and lists (null = "none").
  void read(const std::string& key, bool& field);
  void read(const std::string& key, int& field);
  void read(const std::string& key, int64_t& field);
  void read(const std::string& key, double& field);
  void read(const std::string& key, std::string& field);
  void read(const std::string& key, std::vector<int>& field);
  void read(const std::string& key, std::vector<int64_t>& field);
  void read(const std::string& key, std::vector<double>& field);
  void read(const std::string& key, std::vector<std::string>& field);
  /// The child node of `key` (undefined if absent), marked as known; for nested structs.
  YAML::Node child(const std::string& key);
  /// "path.key" (or "key" at the root).
  std::string key_path(const std::string& key) const;
  /// Throws ConfigError naming every key that was not read, and the accepted ones.
  void finish() const;

 private:
  YAML::Node node_;
  std::string path_;
  std::vector<std::string> known_;
};

/// The text of a config file; a ConfigError naming it when it cannot be read.
std::string read_config_text(const std::string& path);

/// parse(read_config_text(path)), with the file's path prefixed to any ConfigError.
template <typename Parse>
auto parse_config_file(const std::string& path, Parse parse) -> decltype(parse(std::string())) {
  const std::string text = read_config_text(path);
  try {
    return parse(text);
  } catch (const ConfigError& e) {
    throw ConfigError(path + ": " + e.what());
  }
}

/// Dotted path of a child: join_key("train", "lambdas") == "train.lambdas"; "" + k == k.
std::string join_key(const std::string& path, const std::string& key);

/// Scalar and flow-sequence nodes for `to_yaml`, formatted for people: doubles in the
/// shortest form that reads back exactly (0.8, 1e-08), lists on one line, "" as null.
YAML::Node yaml_value(bool value);
YAML::Node yaml_value(int value);
YAML::Node yaml_value(int64_t value);
YAML::Node yaml_value(double value);
YAML::Node yaml_value(const std::string& value);
YAML::Node yaml_value(const char* value);
YAML::Node yaml_value(const std::vector<int>& values);
YAML::Node yaml_value(const std::vector<int64_t>& values);
YAML::Node yaml_value(const std::vector<double>& values);
YAML::Node yaml_value(const std::vector<std::string>& values);

/// Shortest decimal text of `value` that parses back to the same double.
std::string format_double(double value);
/// Structural equality of two YAML trees (same kinds, scalars' text, keys in any order);
/// formatting (flow/block style) is ignored. Undefined and null compare equal.
bool yaml_equal(const YAML::Node& a, const YAML::Node& b);
/// Emits a node as block-style YAML text ending in a newline.
std::string emit_yaml(const YAML::Node& node);

}  // namespace xcodec::io
