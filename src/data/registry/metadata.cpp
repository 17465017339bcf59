#include "xcodec/data/registry/metadata.h"

#include <nlohmann/json.hpp>

#include "xcodec/core/error.h"
#include "xcodec/io/atomic_file.h"

namespace xcodec::data {

using nlohmann::json;

namespace {

template <typename T>
T get_key(const json& j, const char* key, const std::string& file, const std::string& where) {
  if (!j.contains(key)) throw IoError("'" + file + "': missing key '" + where + key + "'");
  try {
    return j.at(key).get<T>();
  } catch (const json::exception& e) {
    throw IoError("'" + file + "': key '" + where + key + "' has the wrong type: " + e.what());
  }
}

template <typename T>
T get_opt(const json& j, const char* key, T fallback, const std::string& file) {
  if (!j.contains(key)) return fallback;
  return get_key<T>(j, key, file, "");
}

}  // namespace

DatasetMetadata read_metadata(const std::string& path) {
  const std::string text = io::read_file(path);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw IoError("'" + path + "': invalid JSON: " + e.what());
  }
  if (!j.is_object()) throw IoError("'" + path + "': expected a JSON object");
  DatasetMetadata m;
  m.format_version = get_opt<int>(j, "format_version", 1, path);
  m.name = get_key<std::string>(j, "name", path, "");
  m.sample_rate = get_key<int>(j, "sample_rate", path, "");
  m.audio_format = get_key<std::string>(j, "audio_format", path, "");
  m.source_dir = get_opt<std::string>(j, "source_dir", "", path);
  m.created = get_opt<std::string>(j, "created", "", path);
  m.updated = get_opt<std::string>(j, "updated", "", path);
  m.xcodec_version = get_opt<std::string>(j, "xcodec_version", "", path);
  m.val_fraction = get_opt<double>(j, "val_fraction", 0.0, path);
  m.test_fraction = get_opt<double>(j, "test_fraction", 0.0, path);
  m.min_seconds = get_opt<double>(j, "min_seconds", 0.0, path);
  m.max_seconds = get_opt<double>(j, "max_seconds", 0.0, path);
  if (j.contains("splits")) {
    const json& s = j.at("splits");
    if (!s.is_object()) throw IoError("'" + path + "': key 'splits' must be an object");
    for (int i = 0; i < kNumSplits; ++i) {
      const std::string name = split_name(static_cast<Split>(i));
      if (!s.contains(name)) continue;
      const json& one = s.at(name);
      const std::string where = "splits." + name + ".";
      m.splits[i].files = get_key<int64_t>(one, "files", path, where);
      m.splits[i].samples = get_key<int64_t>(one, "samples", path, where);
      m.splits[i].hours = get_key<double>(one, "hours", path, where);
    }
  }
  if (j.contains("skipped")) {
    const json& s = j.at("skipped");
    if (!s.is_array()) throw IoError("'" + path + "': key 'skipped' must be an array");
    for (const json& one : s) {
      m.skipped.push_back({get_key<std::string>(one, "path", path, "skipped[]."),
                           get_key<std::string>(one, "reason", path, "skipped[].")});
    }
  }
  return m;
}

void write_metadata(const std::string& path, const DatasetMetadata& m) {
  json j;
  j["format_version"] = m.format_version;
  j["name"] = m.name;
  j["sample_rate"] = m.sample_rate;
  j["audio_format"] = m.audio_format;
  j["source_dir"] = m.source_dir;
  j["created"] = m.created;
  j["updated"] = m.updated;
  j["xcodec_version"] = m.xcodec_version;
  j["val_fraction"] = m.val_fraction;
  j["test_fraction"] = m.test_fraction;
  j["min_seconds"] = m.min_seconds;
  j["max_seconds"] = m.max_seconds;
  json splits = json::object();
  for (int i = 0; i < kNumSplits; ++i) {
    splits[split_name(static_cast<Split>(i))] = {{"files", m.splits[i].files},
                                                 {"samples", m.splits[i].samples},
                                                 {"hours", m.splits[i].hours}};
  }
  j["splits"] = splits;
  json skipped = json::array();
  for (const auto& s : m.skipped) skipped.push_back({{"path", s.path}, {"reason", s.reason}});
  j["skipped"] = skipped;
  // Source names need not be valid UTF-8; replace bad bytes instead of failing the dump.
  io::write_file_atomic(path, j.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
}

}  // namespace xcodec::data
