#include "xcodec/models/codecs/xcodec2_config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "xcodec/core/error.h"
#include "xcodec/io/yaml_fields.h"

namespace xcodec::models {

namespace {

// Keys of the original config that create nothing (spec G22); accepted and ignored.
const std::set<std::string> kIgnoredEncoderKeys = {"depth", "heads", "pos_meb_dim"};
const std::set<std::string> kIgnoredDecoderKeys = {"ngf",
                                                   "up_ratios",
                                                   "dilations",
                                                   "vq_commit_weight",
                                                   "vq_weight_init",
                                                   "vq_full_commit_loss",
                                                   "codebook_size",
                                                   "codebook_dim"};

void require(bool ok, const std::string& key, const std::string& what) {
  if (!ok) throw ConfigError("model config: " + key + " " + what);
}

template <typename T>
T read(const YAML::Node& node, const std::string& key) {
  try {
    return node.as<T>();
  } catch (const YAML::Exception& e) {
    throw ConfigError("model config: cannot read " + key + ": " + e.what());
  }
}

void check_keys(const YAML::Node& node, const std::string& group,
                const std::set<std::string>& known, const std::set<std::string>& ignored = {}) {
  if (!node.IsMap()) throw ConfigError("model config: " + group + " must be a mapping");
  for (const auto& kv : node) {
    const auto key = kv.first.as<std::string>();
    if (known.count(key) == 0 && ignored.count(key) == 0) {
      throw ConfigError("model config: unknown key " + (group.empty() ? key : group + "." + key));
    }
  }
}

template <typename T>
void get(const YAML::Node& node, const std::string& group, const char* key, T* field) {
  if (node[key]) *field = read<T>(node[key], group + "." + key);
}

void check_positive_list(const std::vector<int64_t>& v, const std::string& key) {
  require(!v.empty(), key, "must not be empty");
  for (const int64_t x : v) require(x > 0, key, "entries must be > 0");
}

}  // namespace

void XCodec2Config::validate() const {
  require(sample_rate > 0, "sample_rate", "must be > 0");
  const auto& e = codec_encoder;
  require(e.ngf > 0, "codec_encoder.ngf", "must be > 0");
  check_positive_list(e.up_ratios, "codec_encoder.up_ratios");
  check_positive_list(e.dilations, "codec_encoder.dilations");
  require(e.hidden_dim > 0, "codec_encoder.hidden_dim", "must be > 0");
  const auto& d = codec_decoder;
  require(d.hidden_dim > 0 && d.hidden_dim % 32 == 0, "codec_decoder.hidden_dim",
          "must be a positive multiple of 32 (GroupNorm groups)");
  require(d.depth >= 0, "codec_decoder.depth", "must be >= 0");
  require(d.heads > 0 && d.hidden_dim % d.heads == 0, "codec_decoder.heads",
          "must divide codec_decoder.hidden_dim");
  require(d.pos_meb_dim == d.hidden_dim / std::max<int64_t>(d.heads, 1) && d.pos_meb_dim % 2 == 0,
          "codec_decoder.pos_meb_dim", "must equal hidden_dim / heads and be even");
  require(d.hop_length > 0 && d.hop_length % 2 == 0, "codec_decoder.hop_length",
          "must be a positive even number");
  require(
      d.hop_length == e.hop_length(), "codec_decoder.hop_length",
      "must equal the product of codec_encoder.up_ratios (" + std::to_string(e.hop_length()) + ")");
  require(d.head_upsample == 1 || (d.head_upsample > 1 && d.head_upsample % 2 == 0 &&
                                   d.hop_length % (2 * d.head_upsample) == 0),
          "codec_decoder.head_upsample",
          "must be 1 or an even number with hop_length / head_upsample even");
  require(d.dropout >= 0 && d.dropout < 1, "codec_decoder.dropout", "must be in [0, 1)");
  require(d.vq_dim > 0, "codec_decoder.vq_dim", "must be > 0");
  require(d.vq_num_quantizers >= 1, "codec_decoder.vq_num_quantizers", "must be >= 1");
  check_positive_list(d.levels, "codec_decoder.levels");
  for (const int64_t l : d.levels) require(l >= 2, "codec_decoder.levels", "entries must be >= 2");
  double size = 1;
  for (const int64_t l : d.levels) size *= static_cast<double>(l);
  require(size <= 2147483647.0, "codec_decoder.levels", "product must fit in int32");
  require(semantic.hidden_size > 0, "semantic.hidden_size", "must be > 0");
  require(semantic.teacher_layer > 0, "semantic.teacher_layer", "must be > 0");
  require(semantic.code_dim > 0, "semantic.code_dim", "must be > 0");
  require(semantic.channels > 0, "semantic.channels", "must be > 0");
  require(semantic.kernel_size > 0 && semantic.kernel_size % 2 == 1, "semantic.kernel_size",
          "must be a positive odd number");
}

std::string XCodec2Config::to_yaml() const {
  YAML::Emitter out;
  auto list = [&](const std::vector<int64_t>& v) {
    out << YAML::Flow << YAML::BeginSeq;
    for (const int64_t x : v) out << x;
    out << YAML::EndSeq;
  };
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << "xcodec2";
  out << YAML::Key << "sample_rate" << YAML::Value << sample_rate;
  out << YAML::Key << "codec_encoder" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "ngf" << YAML::Value << codec_encoder.ngf;
  out << YAML::Key << "up_ratios" << YAML::Value;
  list(codec_encoder.up_ratios);
  out << YAML::Key << "dilations" << YAML::Value;
  list(codec_encoder.dilations);
  out << YAML::Key << "hidden_dim" << YAML::Value << codec_encoder.hidden_dim;
  out << YAML::EndMap;
  out << YAML::Key << "codec_decoder" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "hidden_dim" << YAML::Value << codec_decoder.hidden_dim;
  out << YAML::Key << "depth" << YAML::Value << codec_decoder.depth;
  out << YAML::Key << "heads" << YAML::Value << codec_decoder.heads;
  out << YAML::Key << "pos_meb_dim" << YAML::Value << codec_decoder.pos_meb_dim;
  out << YAML::Key << "hop_length" << YAML::Value << codec_decoder.hop_length;
  out << YAML::Key << "vq_dim" << YAML::Value << codec_decoder.vq_dim;
  out << YAML::Key << "vq_num_quantizers" << YAML::Value << codec_decoder.vq_num_quantizers;
  out << YAML::Key << "levels" << YAML::Value;
  list(codec_decoder.levels);
  // Written only when they differ from the original's layout, so its configs stay unchanged.
  if (codec_decoder.head_upsample != 1) {
    out << YAML::Key << "head_upsample" << YAML::Value << codec_decoder.head_upsample;
  }
  if (codec_decoder.dropout != CodecDecoderVocosOptions{}.dropout) {
    out << YAML::Key << "dropout" << YAML::Value << codec_decoder.dropout;
  }
  out << YAML::EndMap;
  out << YAML::Key << "semantic" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "hidden_size" << YAML::Value << semantic.hidden_size;
  out << YAML::Key << "code_dim" << YAML::Value << semantic.code_dim;
  out << YAML::Key << "channels" << YAML::Value << semantic.channels;
  out << YAML::Key << "kernel_size" << YAML::Value << semantic.kernel_size;
  out << YAML::Key << "teacher" << YAML::Value << YAML::DoubleQuoted << semantic.teacher;
  out << YAML::Key << "teacher_layer" << YAML::Value << semantic.teacher_layer;
  out << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

XCodec2Config XCodec2Config::from_yaml(const std::string& text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(std::string("model config: invalid YAML: ") + e.what());
  }
  XCodec2Config c;
  if (root.IsNull()) {
    c.validate();
    return c;
  }
  check_keys(root, "", {"name", "sample_rate", "codec_encoder", "codec_decoder", "semantic"});
  if (root["name"] && read<std::string>(root["name"], "name") != "xcodec2") {
    throw ConfigError("model config: name '" + read<std::string>(root["name"], "name") +
                      "' is not an X-Codec-2.0 config (name: xcodec2)");
  }
  get(root, "", "sample_rate", &c.sample_rate);
  if (const YAML::Node e = root["codec_encoder"]) {
    check_keys(e, "codec_encoder", {"ngf", "up_ratios", "dilations", "hidden_dim"},
               kIgnoredEncoderKeys);
    get(e, "codec_encoder", "ngf", &c.codec_encoder.ngf);
    get(e, "codec_encoder", "up_ratios", &c.codec_encoder.up_ratios);
    get(e, "codec_encoder", "dilations", &c.codec_encoder.dilations);
    get(e, "codec_encoder", "hidden_dim", &c.codec_encoder.hidden_dim);
  }
  if (const YAML::Node d = root["codec_decoder"]) {
    check_keys(d, "codec_decoder",
               {"hidden_dim", "depth", "heads", "pos_meb_dim", "hop_length", "vq_dim",
                "vq_num_quantizers", "levels", "head_upsample", "dropout"},
               kIgnoredDecoderKeys);
    auto& o = c.codec_decoder;
    get(d, "codec_decoder", "hidden_dim", &o.hidden_dim);
    get(d, "codec_decoder", "depth", &o.depth);
    get(d, "codec_decoder", "heads", &o.heads);
    get(d, "codec_decoder", "pos_meb_dim", &o.pos_meb_dim);
    get(d, "codec_decoder", "hop_length", &o.hop_length);
    get(d, "codec_decoder", "vq_dim", &o.vq_dim);
    get(d, "codec_decoder", "vq_num_quantizers", &o.vq_num_quantizers);
    get(d, "codec_decoder", "levels", &o.levels);
    get(d, "codec_decoder", "head_upsample", &o.head_upsample);
    get(d, "codec_decoder", "dropout", &o.dropout);
  }
  if (const YAML::Node s = root["semantic"]) {
    check_keys(s, "semantic",
               {"hidden_size", "code_dim", "channels", "kernel_size", "teacher", "teacher_layer"});
    get(s, "semantic", "teacher", &c.semantic.teacher);
    get(s, "semantic", "teacher_layer", &c.semantic.teacher_layer);
    get(s, "semantic", "hidden_size", &c.semantic.hidden_size);
    get(s, "semantic", "code_dim", &c.semantic.code_dim);
    get(s, "semantic", "channels", &c.semantic.channels);
    get(s, "semantic", "kernel_size", &c.semantic.kernel_size);
  }
  c.validate();
  return c;
}

XCodec2Config XCodec2Config::from_yaml_file(const std::string& path) {
  return io::parse_config_file(path, [](const std::string& text) { return from_yaml(text); });
}

XCodec2Config XCodec2Config::from_json_file(const std::string& path) {
  nlohmann::json j;
  try {
    std::ifstream in(path);
    if (!in) throw IoError("cannot open");
    in >> j;
  } catch (const std::exception& e) {
    throw ConfigError(path + ": cannot parse JSON: " + e.what());
  }
  auto at = [&](const nlohmann::json& node, const char* key) -> const nlohmann::json& {
    if (!node.contains(key)) throw ConfigError(path + ": missing key " + key);
    return node.at(key);
  };
  XCodec2Config c;
  try {
    if (j.contains("sample_rate")) c.sample_rate = j.at("sample_rate").get<int64_t>();
    const auto& e = at(j, "codec_encoder");
    c.codec_encoder.ngf = at(e, "ngf").get<int64_t>();
    c.codec_encoder.up_ratios = at(e, "up_ratios").get<std::vector<int64_t>>();
    c.codec_encoder.dilations = at(e, "dilations").get<std::vector<int64_t>>();
    c.codec_encoder.hidden_dim = at(e, "hidden_dim").get<int64_t>();
    const auto& d = at(j, "codec_decoder");
    auto& o = c.codec_decoder;
    o.hidden_dim = at(d, "hidden_dim").get<int64_t>();
    o.depth = at(d, "depth").get<int64_t>();
    o.heads = at(d, "heads").get<int64_t>();
    o.pos_meb_dim = at(d, "pos_meb_dim").get<int64_t>();
    o.hop_length = at(d, "hop_length").get<int64_t>();
    o.vq_dim = at(d, "vq_dim").get<int64_t>();
    if (d.contains("vq_num_quantizers"))
      o.vq_num_quantizers = d.at("vq_num_quantizers").get<int64_t>();
    if (d.contains("n_fft") && d.at("n_fft").get<int64_t>() != o.n_fft()) {
      throw ConfigError(path + ": codec_decoder.n_fft must be 4 * hop_length");
    }
    if (j.contains("quantizer")) {
      const auto& q = j.at("quantizer");
      if (q.contains("levels")) o.levels = q.at("levels").get<std::vector<int64_t>>();
      if (q.contains("num_quantizers")) o.vq_num_quantizers = q.at("num_quantizers").get<int64_t>();
    }
    const auto& s = at(j, "semantic");
    c.semantic.hidden_size = at(s, "hidden_size").get<int64_t>();
    c.semantic.code_dim = c.semantic.hidden_size;
    c.semantic.channels = c.semantic.hidden_size;
    if (s.contains("SemanticEncoder")) {
      const auto& se = s.at("SemanticEncoder");
      if (se.contains("code_dim")) c.semantic.code_dim = se.at("code_dim").get<int64_t>();
      if (se.contains("encode_channels"))
        c.semantic.channels = se.at("encode_channels").get<int64_t>();
      if (se.contains("kernel_size")) c.semantic.kernel_size = se.at("kernel_size").get<int64_t>();
    }
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(path + ": " + e.what());
  }
  c.validate();
  return c;
}

std::vector<std::string> XCodec2Config::preset_names() {
  return {"xcodec2", "xcodec2-small", "tiny"};
}

XCodec2Config XCodec2Config::preset(const std::string& name) {
  XCodec2Config c;
  if (name == "xcodec2") return c;
  if (name == "xcodec2-small") {
    c.codec_encoder.ngf = 8;
    c.codec_encoder.hidden_dim = 64;
    c.codec_decoder.hidden_dim = 64;
    c.codec_decoder.depth = 2;
    c.codec_decoder.heads = 4;
    c.codec_decoder.pos_meb_dim = 16;
    c.codec_decoder.vq_dim = 96;
    c.semantic = {64, 64, 64, 3};
    return c;
  }
  if (name == "tiny") {
    // The real hop (320) so that the 50 Hz teacher lines up; everything else minimal.
    c.codec_encoder.ngf = 4;
    c.codec_encoder.up_ratios = {4, 8, 10};
    c.codec_encoder.dilations = {1, 3};
    c.codec_encoder.hidden_dim = 16;
    c.codec_decoder.hidden_dim = 32;
    c.codec_decoder.depth = 1;
    c.codec_decoder.heads = 2;
    c.codec_decoder.pos_meb_dim = 16;
    c.codec_decoder.hop_length = 320;
    c.codec_decoder.vq_dim = 24;
    c.codec_decoder.levels = {4, 4, 4, 4};
    c.semantic.hidden_size = 16;
    c.semantic.code_dim = 16;
    c.semantic.channels = 16;
    c.semantic.teacher = "random";
    c.semantic.teacher_layer = 2;
    return c;
  }
  std::string known;
  for (const auto& n : preset_names()) known += (known.empty() ? "" : ", ") + n;
  throw ConfigError("unknown model '" + name + "'; registered: " + known);
}

bool operator==(const XCodec2Config& a, const XCodec2Config& b) {
  const auto& ea = a.codec_encoder;
  const auto& eb = b.codec_encoder;
  const auto& da = a.codec_decoder;
  const auto& db = b.codec_decoder;
  return a.sample_rate == b.sample_rate && ea.ngf == eb.ngf && ea.up_ratios == eb.up_ratios &&
         ea.dilations == eb.dilations && ea.hidden_dim == eb.hidden_dim &&
         da.hidden_dim == db.hidden_dim && da.depth == db.depth && da.heads == db.heads &&
         da.pos_meb_dim == db.pos_meb_dim && da.hop_length == db.hop_length &&
         da.vq_dim == db.vq_dim && da.vq_num_quantizers == db.vq_num_quantizers &&
         da.levels == db.levels && da.head_upsample == db.head_upsample &&
         da.dropout == db.dropout && a.semantic.hidden_size == b.semantic.hidden_size &&
         a.semantic.code_dim == b.semantic.code_dim && a.semantic.channels == b.semantic.channels &&
         a.semantic.kernel_size == b.semantic.kernel_size &&
         a.semantic.teacher == b.semantic.teacher &&
         a.semantic.teacher_layer == b.semantic.teacher_layer;
}

}  // namespace xcodec::models
