#pragma once
/// Hydra-style composition of the YAML files under `configs/` into one tree.
///
/// `configs/config.yaml` (the primary config) starts with a `defaults` list naming one option
/// per config group, e.g.
///   defaults:
///     - dataset: default        # configs/dataset/default.yaml, placed under key `dataset`
///     - model: xcodec2          # configs/model/xcodec2.yaml, under key `model`
///     - discriminator: ${model} # an option may name another group's choice
///     - train: default
///     - _self_                  # where the primary's own keys merge (default: last)
/// Groups are merged in list order (mappings deep-merged, everything else replaced).
/// Command-line overrides then apply, Hydra syntax:
///   group=option         choose a group option        (model=tiny)
///   a.b.c=value          replace an existing key      (dataset.train.batch_size=32)
///   +a.b=value           add a key that does not exist yet
/// Values are YAML: `dataset.names='[a,b]'` gives a list, `init_from=null` a null. An unknown
/// key, a value of the wrong shape (a list where a mapping is, ...) or an unknown group option
/// is a ConfigError naming the key and, for groups, the available options. Finally `${a.b}`
/// references in string values are resolved against the composed tree.
#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <vector>

namespace xcodec::train {

/// The composed tree and how it was made.
struct ComposedConfig {
  YAML::Node tree;                             ///< resolved config, no `defaults` key
  std::map<std::string, std::string> choices;  ///< group → chosen option
  std::vector<std::string> overrides;          ///< the overrides applied, in order
};

/// Composes `config_dir/<primary>.yaml` with its defaults list and `overrides`.
ComposedConfig compose_config(const std::string& config_dir,
                              const std::vector<std::string>& overrides = {},
                              const std::string& primary = "config");

/// Option names of a group (file stems of config_dir/group/*.yaml), sorted.
std::vector<std::string> list_group_options(const std::string& config_dir,
                                            const std::string& group);

/// The shipped configs folder: $XCODEC_CONFIG_DIR, else ./configs, else configs/ beside or
/// above the running executable (build trees). Throws ConfigError listing the places tried.
std::string find_config_dir();

/// Deep merge: mappings merge key by key (recursively), anything else in `src` replaces `dst`.
void merge_yaml(YAML::Node& dst, const YAML::Node& src);

}  // namespace xcodec::train
