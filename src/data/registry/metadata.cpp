#include "xcodec/data/registry/metadata.h"

#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "data/registry/json_integer.h"
#include "xcodec/core/error.h"
#include "xcodec/data/registry/name_escape.h"
#include "xcodec/io/atomic_file.h"

namespace xcodec::data {

using nlohmann::json;

namespace {

template <typename T>
T get_key(const json& j, const char* key, const std::string& file, const std::string& where) {
  if (!j.contains(key)) throw IoError("'" + file + "': missing key '" + where + key + "'");
  const json& value = j.at(key);
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    // nlohmann-json converts any number with a plain cast: 1e40 is undefined behaviour, and 2.5
    // or 2^32 + 16000 would silently become some other integer.
    if (value.is_number() && !json_integer_fits<T>(value)) {
      throw IoError("'" + file + "': key '" + where + key + "' must be an integer in [" +
                    std::to_string(std::numeric_limits<T>::min()) + ", " +
                    std::to_string(std::numeric_limits<T>::max()) + "], not " + value.dump());
    }
  }
  try {
    return value.get<T>();
  } catch (const json::exception& e) {
    throw IoError("'" + file + "': key '" + where + key + "' has the wrong type: " + e.what());
  }
}

template <typename T>
T get_opt(const json& j, const char* key, T fallback, const std::string& file) {
  if (!j.contains(key)) return fallback;
  return get_key<T>(j, key, file, "");
}

// A list of {"path": ..., <second>: text} objects; `where` is "files.skipped" or "skipped".
// Paths are unescaped when `escaped` (the "files" layout; version 1 wrote them as they were).
std::vector<std::pair<std::string, std::string>> read_pairs(const json& parent, const char* key,
                                                            const char* second, bool escaped,
                                                            const std::string& file,
                                                            const std::string& where) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!parent.contains(key)) return out;
  const json& list = parent.at(key);
  if (!list.is_array()) throw IoError("'" + file + "': key '" + where + "' must be an array");
  const std::string item = where + "[].";
  for (const json& one : list) {
    if (!one.is_object()) throw IoError("'" + file + "': '" + where + "' holds a non-object");
    const std::string p = get_key<std::string>(one, "path", file, item);
    out.emplace_back(escaped ? unescape_name(p) : p, get_key<std::string>(one, second, file, item));
  }
  return out;
}

std::vector<SkippedFile> read_reasons(const json& parent, const char* key, bool escaped,
                                      const std::string& file, const std::string& where) {
  std::vector<SkippedFile> out;
  for (auto& [path, reason] : read_pairs(parent, key, "reason", escaped, file, where)) {
    out.push_back({std::move(path), std::move(reason)});
  }
  return out;
}

json reasons_to_json(const std::vector<SkippedFile>& list) {
  json out = json::array();
  for (const auto& s : list) out.push_back({{"path", escape_name(s.path)}, {"reason", s.reason}});
  return out;
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
  // The layout decides how paths are stored: escaped inside "files" (version 2), as they were
  // in version 1's top-level "skipped".
  const bool escaped = j.contains("files");
  DatasetMetadata m;
  m.format_version = get_opt<int>(j, "format_version", 1, path);
  m.name = get_key<std::string>(j, "name", path, "");
  m.sample_rate = get_key<int>(j, "sample_rate", path, "");
  m.audio_format = get_key<std::string>(j, "audio_format", path, "");
  m.source_dir = get_opt<std::string>(j, "source_dir", "", path);
  if (escaped) m.source_dir = unescape_name(m.source_dir);
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
  for (const auto& split : m.splits) m.converted += split.files;
  if (escaped) {
    const json& f = j.at("files");
    if (!f.is_object()) throw IoError("'" + path + "': key 'files' must be an object");
    m.found = get_key<int64_t>(f, "found", path, "files.");
    m.converted = get_key<int64_t>(f, "converted", path, "files.");
    m.skipped = read_reasons(f, "skipped", true, path, "files.skipped");
    m.ignored = read_reasons(f, "ignored", true, path, "files.ignored");
    for (auto& [source, output] : read_pairs(f, "renamed", "output", true, path, "files.renamed")) {
      m.renamed.push_back({std::move(source), std::move(output)});
    }
  } else {
    // format_version 1: only a top-level "skipped" list.
    m.skipped = read_reasons(j, "skipped", false, path, "skipped");
    m.found = m.converted + static_cast<int64_t>(m.skipped.size());
  }
  return m;
}

void write_metadata(const std::string& path, const DatasetMetadata& m) {
  json j;
  j["format_version"] = m.format_version;
  j["name"] = m.name;
  j["sample_rate"] = m.sample_rate;
  j["audio_format"] = m.audio_format;
  j["source_dir"] = escape_name(m.source_dir);
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
  json renamed = json::array();
  for (const auto& r : m.renamed) {
    renamed.push_back({{"path", escape_name(r.path)}, {"output", r.output}});
  }
  j["files"] = {{"found", m.found},
                {"converted", m.converted},
                {"skipped", reasons_to_json(m.skipped)},
                {"ignored", reasons_to_json(m.ignored)},
                {"renamed", renamed}};
  // Paths are escaped above; free text (reasons) that still holds bytes that are not UTF-8 gets
  // U+FFFD instead of failing the dump.
  io::write_file_atomic(path, j.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
}

}  // namespace xcodec::data
