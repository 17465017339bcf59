#include "xcodec/train/config/compose.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>

#include "xcodec/core/error.h"
#include "xcodec/io/atomic_file.h"

namespace xcodec::train {
namespace fs = std::filesystem;

namespace {

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

// File tests that never throw: a name the file system refuses (too long, ...) is not there.
bool regular_file_exists(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

bool directory_exists(const fs::path& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

// Limits of a config tree as it is walked, aliases followed: hand-written configs are a few
// levels deep with a few hundred values. An alias can repeat or even contain its own anchor
// (`&a [*a]`), which every later walk (merge, clone, dump) would expand without end.
constexpr int kMaxConfigDepth = 64;
constexpr int64_t kMaxConfigValues = 100000;

// Throws ConfigError (prefixed with `where`) unless every mapping key is a single value (the
// composer and the struct readers address keys by their text) and the limits above hold.
void check_tree(const YAML::Node& node, const std::string& where, int depth, int64_t* values) {
  if (++*values > kMaxConfigValues)
    throw ConfigError(where + ": more than " + std::to_string(kMaxConfigValues) +
                      " values (aliases or ${...} references expanding to too much?)");
  if (depth > kMaxConfigDepth)
    throw ConfigError(where + ": nested more than " + std::to_string(kMaxConfigDepth) +
                      " levels deep (an alias inside its own anchor?)");
  if (node.IsMap()) {
    std::set<std::string> keys;
    for (const auto& kv : node) {
      const YAML::Mark mark = kv.first.Mark();
      const std::string at = where + ", line " + std::to_string(mark.line + 1) + ", column " +
                             std::to_string(mark.column + 1);
      if (!kv.first.IsScalar()) {
        throw ConfigError(at + ": a mapping key must be a single value, not " +
                          (kv.first.IsMap()        ? "a mapping"
                           : kv.first.IsSequence() ? "a list"
                                                   : "null"));
      }
      // yaml-cpp keeps both entries of a repeated key; lookups would see the first, merges the
      // last. YAML itself requires unique keys.
      const std::string& key = kv.first.Scalar();
      if (!keys.insert(key).second)
        throw ConfigError(at + ": key '" + key + "' appears twice in one mapping");
      check_tree(kv.second, where, depth + 1, values);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) check_tree(item, where, depth + 1, values);
  }
}

void check_tree(const YAML::Node& node, const std::string& where) {
  int64_t values = 0;
  check_tree(node, where, 0, &values);
}

YAML::Node load_yaml_file(const fs::path& path) {
  try {
    YAML::Node node = YAML::LoadFile(path.string());
    if (!node.IsDefined() || node.IsNull()) return YAML::Node(YAML::NodeType::Map);
    if (!node.IsMap())
      throw ConfigError("config file " + path.string() + ": expected a mapping at the top");
    check_tree(node, "config file " + path.string());
    return node;
  } catch (const YAML::BadFile&) {
    throw ConfigError("cannot read config file " + path.string());
  } catch (const YAML::Exception& e) {
    throw ConfigError("config file " + path.string() + ": " + e.what());
  }
}

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(key);
  while (std::getline(in, part, '.')) parts.push_back(part);
  return parts;
}

std::vector<std::string> map_keys(const YAML::Node& node) {
  std::vector<std::string> keys;
  if (node.IsMap())
    for (const auto& kv : node) keys.push_back(kv.first.as<std::string>());
  return keys;
}

std::string kind_of(const YAML::Node& node) {
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  if (node.IsScalar()) return "a single value";
  return "null";
}

// Resolves `${name}` in a defaults-list option against the group choices made so far.
std::string resolve_choice(const std::string& option,
                           const std::map<std::string, std::string>& choices,
                           const std::string& group) {
  std::string out = option;
  for (size_t guard = 0; guard < 16; ++guard) {
    const size_t begin = out.find("${");
    if (begin == std::string::npos) return out;
    const size_t end = out.find('}', begin);
    if (end == std::string::npos)
      throw ConfigError("defaults list: unterminated '${' in the option of group '" + group + "'");
    const std::string ref = out.substr(begin + 2, end - begin - 2);
    const auto it = choices.find(ref);
    if (it == choices.end())
      throw ConfigError("defaults list: option of group '" + group + "' refers to '${" + ref +
                        "}', which is not a group chosen before it");
    out = out.substr(0, begin) + it->second + out.substr(end + 1);
  }
  throw ConfigError("defaults list: too many nested references in group '" + group + "'");
}

struct Override {
  std::string text;  // as given
  std::string key;
  std::string value;
  bool add = false;  // "+key=value"
};

Override parse_override(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError("override '" + text +
                      "': expected key=value (e.g. dataset.train.batch_size=32)");
  Override o;
  o.text = text;
  o.key = text.substr(0, eq);
  o.value = text.substr(eq + 1);
  if (!o.key.empty() && o.key[0] == '+') {
    o.add = true;
    o.key = o.key.substr(1);
  }
  if (o.key.empty() || o.key.front() == '.' || o.key.back() == '.' ||
      o.key.find("..") != std::string::npos)
    throw ConfigError("override '" + text + "': malformed key '" + o.key + "'");
  return o;
}

YAML::Node parse_value(const Override& o) {
  if (o.value.empty()) return YAML::Node(YAML::NodeType::Null);
  try {
    YAML::Node value = YAML::Load(o.value);
    check_tree(value, "override '" + o.text + "'");
    return value;
  } catch (const YAML::Exception& e) {
    throw ConfigError("override '" + o.text + "': value of '" + o.key +
                      "' is not valid YAML: " + e.what());
  }
}

void apply_override(YAML::Node& root, const Override& o) {
  const std::vector<std::string> parts = split_key(o.key);
  YAML::Node node = root;
  std::string path;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const std::string& part = parts[i];
    path = path.empty() ? part : path + "." + part;
    YAML::Node next = node[part];
    if (!next.IsDefined() || next.IsNull()) {
      if (!o.add)
        throw ConfigError("unknown config key '" + o.key + "' (override '" + o.text + "'): '" +
                          path + "' does not exist; keys there: " + join(map_keys(node)));
      node[part] = YAML::Node(YAML::NodeType::Map);
      next.reset(node[part]);
    } else if (!next.IsMap()) {
      throw ConfigError("override '" + o.text + "': '" + path + "' is " + kind_of(next) +
                        ", not a mapping, so '" + o.key + "' cannot exist");
    }
    node.reset(next);
  }
  const std::string& leaf = parts.back();
  const YAML::Node value = parse_value(o);
  const YAML::Node existing = node[leaf];
  if (!existing.IsDefined()) {
    if (!o.add) {
      const std::string where = parts.size() > 1 ? "'" + o.key.substr(0, o.key.rfind('.')) + "'"
                                                 : std::string("the top level");
      throw ConfigError("unknown config key '" + o.key + "' (override '" + o.text + "'); keys at " +
                        where + ": " + join(map_keys(node)) + " (use +" + o.key +
                        "=... to add a new key)");
    }
  } else if (o.add) {
    throw ConfigError("override '" + o.text + "': key '" + o.key +
                      "' already exists; drop the '+' to replace it");
  } else if (!existing.IsNull() && !value.IsNull()) {
    const bool same_kind = (existing.IsMap() && value.IsMap()) ||
                           (existing.IsSequence() && value.IsSequence()) ||
                           (existing.IsScalar() && value.IsScalar());
    if (!same_kind)
      throw ConfigError("config key '" + o.key + "' expects " + kind_of(existing) + ", got " +
                        kind_of(value) + " in override '" + o.text + "'");
  }
  node[leaf] = YAML::Clone(value);
}

// The node at dotted `key` under `root`, shared (not copied), or an undefined node. Only const
// access: a non-const operator[] would add the missing key to a mapping that the caller may be
// iterating.
YAML::Node lookup(const YAML::Node& root, const std::string& key) {
  YAML::Node node = root;
  for (const std::string& part : split_key(key)) {
    if (!node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    const YAML::Node& view = node;
    YAML::Node next = view[part];
    if (!next.IsDefined()) return next;
    node.reset(next);
  }
  return node;
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// Resolves ${a.b} in scalars. A scalar that is exactly one reference takes the referenced
// node (any kind); references inside longer text must name scalars. A reference to a node that
// contains it is an error (each pass would nest the node once more), and the values copied in
// count against the limit of check_tree (`values` holds the running count).
bool resolve_interpolations(YAML::Node node, const YAML::Node& root, const std::string& path,
                            int64_t* values) {
  bool changed = false;
  if (node.IsMap()) {
    for (auto kv : node) {
      const std::string key = kv.first.as<std::string>();
      YAML::Node child = kv.second;
      const std::string child_path = path.empty() ? key : path + "." + key;
      if (child.IsScalar() && child.Scalar().find("${") != std::string::npos) {
        const std::string text = child.Scalar();
        const size_t b = text.find("${");
        const size_t e = text.find('}', b);
        if (e == std::string::npos)
          throw ConfigError("config key '" + child_path + "': unterminated '${' in '" + text + "'");
        const std::string ref = text.substr(b + 2, e - b - 2);
        if (ref == child_path || starts_with(child_path, ref + ".") ||
            starts_with(child_path, ref + "["))
          throw ConfigError("config key '" + child_path + "' refers to '${" + ref +
                            "}', which contains it");
        const YAML::Node target = lookup(root, ref);
        if (!target.IsDefined())
          throw ConfigError("config key '" + child_path + "' refers to '${" + ref +
                            "}', which does not exist");
        if (b == 0 && e + 1 == text.size()) {
          check_tree(target, "config key '" + child_path + "' ('${" + ref + "}')", 0, values);
          node[key] = YAML::Clone(target);
        } else {
          if (!target.IsScalar())
            throw ConfigError("config key '" + child_path + "': '${" + ref +
                              "}' inside text must name a single value");
          node[key] = text.substr(0, b) + target.Scalar() + text.substr(e + 1);
        }
        changed = true;
      } else if (child.IsMap() || child.IsSequence()) {
        changed |= resolve_interpolations(child, root, child_path, values);
      }
    }
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      YAML::Node child = node[i];
      if (child.IsMap() || child.IsSequence())
        changed |=
            resolve_interpolations(child, root, path + "[" + std::to_string(i) + "]", values);
    }
  }
  return changed;
}

struct DefaultsEntry {
  std::string group;   // empty for _self_ or a plain config name
  std::string option;  // option name, or config name for plain entries
  bool self = false;
  bool optional = false;  // "optional group: option": skipped when the file does not exist
};

std::vector<DefaultsEntry> parse_defaults(const YAML::Node& defaults, const fs::path& file) {
  std::vector<DefaultsEntry> out;
  // No defaults list is an empty one: the primary's own keys (_self_) are still the config.
  const bool listed = defaults.IsDefined() && !defaults.IsNull();
  if (listed && !defaults.IsSequence())
    throw ConfigError("config file " + file.string() + ": 'defaults' must be a list");
  const YAML::Node items = listed ? defaults : YAML::Node(YAML::NodeType::Sequence);
  for (const auto& item : items) {
    DefaultsEntry e;
    if (item.IsScalar()) {
      if (item.Scalar() == "_self_") {
        e.self = true;
      } else {
        e.option = item.Scalar();
      }
    } else if (item.IsMap() && item.size() == 1) {
      const auto kv = *item.begin();
      e.group = kv.first.as<std::string>();
      if (e.group.rfind("optional ", 0) == 0) {
        e.optional = true;
        e.group = e.group.substr(9);
      }
      if (!e.group.empty() && e.group[0] == '/') e.group = e.group.substr(1);
      if (!kv.second.IsNull() && !kv.second.IsScalar())
        throw ConfigError("config file " + file.string() + ": the 'defaults' entry of group '" +
                          e.group + "' must name one option, not " + kind_of(kv.second));
      e.option = kv.second.IsNull() ? std::string() : kv.second.Scalar();
    } else {
      throw ConfigError("config file " + file.string() +
                        ": each 'defaults' entry must be 'group: option', a name or _self_");
    }
    out.push_back(e);
  }
  if (std::none_of(out.begin(), out.end(), [](const DefaultsEntry& e) { return e.self; })) {
    DefaultsEntry self;
    self.self = true;
    out.push_back(self);
  }
  return out;
}

// Places `content` under the dotted/slashed group path ("a/b" → a.b) of `root`.
void merge_under(YAML::Node& root, const std::string& group, const YAML::Node& content) {
  std::string dotted = group;
  std::replace(dotted.begin(), dotted.end(), '/', '.');
  YAML::Node wrapped = YAML::Clone(content);
  const std::vector<std::string> parts = split_key(dotted);
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    YAML::Node outer(YAML::NodeType::Map);
    outer[*it] = wrapped;
    wrapped = outer;
  }
  merge_yaml(root, wrapped);
}

}  // namespace

void merge_yaml(YAML::Node& dst, const YAML::Node& src) {
  if (!src.IsDefined()) return;
  if (dst.IsMap() && src.IsMap()) {
    for (const auto& kv : src) {
      const std::string key = kv.first.as<std::string>();
      YAML::Node child = dst[key];
      if (child.IsDefined() && child.IsMap() && kv.second.IsMap()) {
        merge_yaml(child, kv.second);
      } else {
        dst[key] = YAML::Clone(kv.second);
      }
    }
    return;
  }
  dst = YAML::Clone(src);
}

std::vector<std::string> list_group_options(const std::string& config_dir,
                                            const std::string& group) {
  std::vector<std::string> names;
  const fs::path dir = fs::path(config_dir) / group;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return names;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file(ec) && entry.path().extension() == ".yaml")
      names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

ComposedConfig compose_config(const std::string& config_dir,
                              const std::vector<std::string>& overrides,
                              const std::string& primary) {
  const fs::path dir(config_dir);
  const fs::path primary_file = dir / (primary + ".yaml");
  if (!regular_file_exists(primary_file))
    throw ConfigError("no primary config " + primary_file.string() +
                      " (set XCODEC_CONFIG_DIR or run from the source tree)");
  YAML::Node primary_node = load_yaml_file(primary_file);
  std::vector<DefaultsEntry> defaults = parse_defaults(primary_node["defaults"], primary_file);
  primary_node.remove("defaults");

  // Split overrides into group choices and key assignments.
  ComposedConfig result;
  result.overrides = overrides;
  std::map<std::string, std::string> group_overrides;
  std::vector<Override> key_overrides;
  for (const std::string& text : overrides) {
    Override o = parse_override(text);
    // A group is a name in the defaults list, or a folder of configs that is not also a key
    // of the primary config.
    const bool in_defaults = std::any_of(defaults.begin(), defaults.end(),
                                         [&](const DefaultsEntry& e) { return e.group == o.key; });
    const YAML::Node& primary_view = primary_node;
    const bool is_group =
        !o.add && o.key.find('.') == std::string::npos &&
        (in_defaults || (directory_exists(dir / o.key) && !primary_view[o.key].IsDefined()));
    if (is_group) {
      const YAML::Node v = parse_value(o);
      if (!v.IsScalar())
        throw ConfigError(
            "override '" + text + "': config group '" + o.key +
            "' takes an option name; available: " + join(list_group_options(config_dir, o.key)));
      group_overrides[o.key] = v.Scalar();
      if (std::none_of(defaults.begin(), defaults.end(),
                       [&](const DefaultsEntry& e) { return e.group == o.key; })) {
        DefaultsEntry e;
        e.group = o.key;
        // Before _self_, like the shipped groups.
        auto self = std::find_if(defaults.begin(), defaults.end(),
                                 [](const DefaultsEntry& d) { return d.self; });
        defaults.insert(self, e);
      }
    } else {
      key_overrides.push_back(o);
    }
  }

  YAML::Node tree(YAML::NodeType::Map);
  for (const DefaultsEntry& e : defaults) {
    if (e.self) {
      merge_yaml(tree, primary_node);
      continue;
    }
    if (e.group.empty()) {  // a plain config file merged at the root
      merge_yaml(tree, load_yaml_file(dir / (e.option + ".yaml")));
      continue;
    }
    const auto over = group_overrides.find(e.group);
    std::string option = over != group_overrides.end() ? over->second : e.option;
    option = resolve_choice(option, result.choices, e.group);
    if (option.empty() || option == "null") continue;  // group switched off
    result.choices[e.group] = option;
    const fs::path file = dir / e.group / (option + ".yaml");
    if (e.optional && !regular_file_exists(file)) continue;
    if (!regular_file_exists(file)) {
      const auto available = list_group_options(config_dir, e.group);
      throw ConfigError(
          "config group '" + e.group + "' has no option '" + option + "' (no " + file.string() +
          "); available: " + (available.empty() ? std::string("none") : join(available)) +
          (over != group_overrides.end() ? "" : "; choose one with " + e.group + "=NAME"));
    }
    // Hydra's "# @package _global_" header: the file sets keys of the whole tree.
    if (io::read_file(file.string()).rfind("# @package _global_", 0) == 0) {
      merge_yaml(tree, load_yaml_file(file));
    } else {
      merge_under(tree, e.group, load_yaml_file(file));
    }
  }

  for (const Override& o : key_overrides) apply_override(tree, o);
  int64_t values = 0;
  check_tree(tree, "the composed config", 0, &values);
  for (int pass = 0; pass < 8 && resolve_interpolations(tree, tree, "", &values); ++pass) {
  }
  result.tree = tree;
  return result;
}

std::string find_config_dir() {
  std::vector<std::string> tried;
  auto ok = [&](const fs::path& p) {
    tried.push_back(p.string());
    std::error_code ec;
    return fs::is_regular_file(p / "config.yaml", ec);
  };
  if (const char* env = std::getenv("XCODEC_CONFIG_DIR"); env && *env) {
    if (ok(env)) return env;
    throw ConfigError(std::string("XCODEC_CONFIG_DIR=") + env + " has no config.yaml");
  }
  if (ok(fs::current_path() / "configs")) return (fs::current_path() / "configs").string();
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path dir = exe.parent_path();
    for (int up = 0; up < 4 && !dir.empty(); ++up, dir = dir.parent_path()) {
      if (ok(dir / "configs")) return (dir / "configs").string();
      if (dir == dir.parent_path()) break;
    }
  }
  throw ConfigError("cannot find the configs folder (tried " + join(tried) +
                    "); set XCODEC_CONFIG_DIR");
}

}  // namespace xcodec::train
