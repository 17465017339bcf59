#include "xcodec/io/yaml_fields.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "xcodec/core/error.h"
#include "xcodec/io/atomic_file.h"

namespace xcodec::io {
namespace {

std::string describe(const YAML::Node& node) {
  if (node.IsScalar()) return "'" + node.Scalar() + "'";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  return "null";
}

[[noreturn]] void type_error(const std::string& key, const char* expected, const YAML::Node& node) {
  throw ConfigError("config key '" + key + "': expected " + expected + ", got " + describe(node));
}

template <class T>
T scalar_as(const YAML::Node& node, const std::string& key, const char* expected) {
  if (!node.IsScalar()) type_error(key, expected, node);
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    type_error(key, expected, node);
  }
}

// yaml-cpp reads "1.0e-4" as a double but rejects "1e-4" only in old versions; strtod accepts
// every decimal spelling, so doubles go through it (after rejecting bools and nulls).
double parse_double(const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) type_error(key, "a number", node);
  const std::string& s = node.Scalar();
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size()) {
    // YAML spellings of infinity and NaN.
    if (s == ".inf" || s == ".Inf" || s == "+.inf") return HUGE_VAL;
    if (s == "-.inf" || s == "-.Inf") return -HUGE_VAL;
    if (s == ".nan" || s == ".NaN") return NAN;
    type_error(key, "a number", node);
  }
  return v;
}

template <class T, class F>
void read_list(const YAML::Node& node, const std::string& key, std::vector<T>& field, F&& element) {
  if (node.IsNull()) {
    field.clear();
    return;
  }
  if (!node.IsSequence()) type_error(key, "a list", node);
  std::vector<T> out;
  out.reserve(node.size());
  for (size_t i = 0; i < node.size(); ++i)
    out.push_back(element(node[i], key + "[" + std::to_string(i) + "]"));
  field = std::move(out);
}

}  // namespace

std::string join_key(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

YamlReader::YamlReader(const YAML::Node& node, std::string path)
    : node_(node), path_(std::move(path)) {
  if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap())
    throw ConfigError("config key '" + (path_.empty() ? std::string("<root>") : path_) +
                      "': expected a mapping, got " + describe(node_));
}

std::string YamlReader::key_path(const std::string& key) const { return join_key(path_, key); }

bool YamlReader::has(const std::string& key) {
  known_.push_back(key);
  if (!node_.IsMap()) return false;
  const YAML::Node v = node_[key];
  return v.IsDefined() && !v.IsNull();
}

YAML::Node YamlReader::child(const std::string& key) {
  known_.push_back(key);
  if (!node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  return node_[key];
}

void YamlReader::read(const std::string& key, bool& field) {
  const YAML::Node v = child(key);
  if (!v.IsDefined() || v.IsNull()) return;
  field = scalar_as<bool>(v, key_path(key), "true or false");
}

void YamlReader::read(const std::string& key, int& field) {
  const YAML::Node v = child(key);
  if (!v.IsDefined() || v.IsNull()) return;
  field = scalar_as<int>(v, key_path(key), "an integer");
}

void YamlReader::read(const std::string& key, int64_t& field) {
  const YAML::Node v = child(key);
  if (!v.IsDefined() || v.IsNull()) return;
  field = scalar_as<int64_t>(v, key_path(key), "an integer");
}

void YamlReader::read(const std::string& key, double& field) {
  const YAML::Node v = child(key);
  if (!v.IsDefined() || v.IsNull()) return;
  field = parse_double(v, key_path(key));
}

void YamlReader::read(const std::string& key, std::string& field) {
  const YAML::Node v = child(key);
  if (!v.IsDefined()) return;
  if (v.IsNull()) {
    field.clear();
    return;
  }
  if (!v.IsScalar()) type_error(key_path(key), "a string", v);
  field = v.Scalar();
}

void YamlReader::read(const std::string& key, std::vector<int>& field) {
  const YAML::Node v = child(key);
  if (!v.IsDefined()) return;
  read_list(v, key_path(key), field, [](const YAML::Node& n, const std::string& k) {
    return scalar_as<int>(n, k, "an integer");
  });
}

void YamlReader::read(const std::string& key, std::vector<int64_t>& field) {
  const YAML::Node v = child(key);
  if (!v.IsDefined()) return;
  read_list(v, key_path(key), field, [](const YAML::Node& n, const std::string& k) {
    return scalar_as<int64_t>(n, k, "an integer");
  });
}

void YamlReader::read(const std::string& key, std::vector<double>& field) {
  const YAML::Node v = child(key);
  if (!v.IsDefined()) return;
  read_list(v, key_path(key), field,
            [](const YAML::Node& n, const std::string& k) { return parse_double(n, k); });
}

void YamlReader::read(const std::string& key, std::vector<std::string>& field) {
  const YAML::Node v = child(key);
  if (!v.IsDefined()) return;
  read_list(v, key_path(key), field, [](const YAML::Node& n, const std::string& k) {
    if (!n.IsScalar()) type_error(k, "a string", n);
    return n.Scalar();
  });
}

void YamlReader::finish() const {
  if (!node_.IsMap()) return;
  std::vector<std::string> unknown;
  for (const auto& kv : node_) {
    const std::string key = kv.first.as<std::string>();
    if (std::find(known_.begin(), known_.end(), key) == known_.end()) unknown.push_back(key);
  }
  if (unknown.empty()) return;
  std::vector<std::string> accepted = known_;
  std::sort(accepted.begin(), accepted.end());
  accepted.erase(std::unique(accepted.begin(), accepted.end()), accepted.end());
  std::ostringstream msg;
  msg << "unknown config key" << (unknown.size() > 1 ? "s " : " ");
  for (size_t i = 0; i < unknown.size(); ++i)
    msg << (i ? ", " : "") << "'" << key_path(unknown[i]) << "'";
  msg << " (accepted here: ";
  for (size_t i = 0; i < accepted.size(); ++i) msg << (i ? ", " : "") << accepted[i];
  msg << ")";
  throw ConfigError(msg.str());
}

std::string format_double(double value) {
  char buf[64];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  std::string s(buf);
  // Keep a decimal point or exponent so YAML readers see a float, not an integer.
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

YAML::Node yaml_value(bool value) { return YAML::Node(value); }
YAML::Node yaml_value(int value) { return YAML::Node(value); }
YAML::Node yaml_value(int64_t value) { return YAML::Node(static_cast<long long>(value)); }
YAML::Node yaml_value(double value) { return YAML::Node(format_double(value)); }
YAML::Node yaml_value(const std::string& value) {
  return value.empty() ? YAML::Node(YAML::NodeType::Null) : YAML::Node(value);
}
YAML::Node yaml_value(const char* value) { return yaml_value(std::string(value)); }

namespace {
template <class T>
YAML::Node flow_list(const std::vector<T>& values) {
  YAML::Node node(YAML::NodeType::Sequence);
  for (const T& v : values) node.push_back(yaml_value(v));
  node.SetStyle(YAML::EmitterStyle::Flow);
  return node;
}
}  // namespace

YAML::Node yaml_value(const std::vector<int>& values) { return flow_list(values); }
YAML::Node yaml_value(const std::vector<int64_t>& values) { return flow_list(values); }
YAML::Node yaml_value(const std::vector<double>& values) { return flow_list(values); }
YAML::Node yaml_value(const std::vector<std::string>& values) {
  YAML::Node node(YAML::NodeType::Sequence);
  for (const std::string& v : values) node.push_back(YAML::Node(v));
  node.SetStyle(YAML::EmitterStyle::Flow);
  return node;
}

bool yaml_equal(const YAML::Node& a, const YAML::Node& b) {
  const bool a_null = !a.IsDefined() || a.IsNull();
  const bool b_null = !b.IsDefined() || b.IsNull();
  if (a_null || b_null) return a_null == b_null;
  if (a.Type() != b.Type()) return false;
  if (a.IsScalar()) return a.Scalar() == b.Scalar();
  if (a.size() != b.size()) return false;
  if (a.IsSequence()) {
    for (size_t i = 0; i < a.size(); ++i)
      if (!yaml_equal(a[i], b[i])) return false;
    return true;
  }
  for (const auto& kv : a) {
    const YAML::Node other = b[kv.first.as<std::string>()];
    if (!other.IsDefined() || !yaml_equal(kv.second, other)) return false;
  }
  return true;
}

std::string emit_yaml(const YAML::Node& node) {
  YAML::Emitter out;
  out << node;
  std::string text = out.c_str();
  if (text.empty() || text.back() != '\n') text += '\n';
  return text;
}

std::string read_config_text(const std::string& path) {
  try {
    return read_file(path);
  } catch (const std::exception& e) {
    throw ConfigError("model config: cannot read " + path + ": " + e.what());
  }
}

}  // namespace xcodec::io
