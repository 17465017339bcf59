#include "xcodec/data/registry/registry.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "data/registry/json_integer.h"
#include "xcodec/core/error.h"
#include "xcodec/io/atomic_file.h"

namespace xcodec::data {

namespace fs = std::filesystem;
using nlohmann::json;

void validate_dataset_name(const std::string& name) {
  if (name.empty() || name.size() > 128 || name.front() == '.') {
    throw ConfigError("invalid dataset name '" + name +
                      "': 1-128 characters, not starting with '.'");
  }
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      throw ConfigError("invalid dataset name '" + name +
                        "': only letters, digits, '.', '_' and '-' are allowed");
    }
  }
}

namespace {

std::string registry_path(const std::string& data_dir) {
  return (fs::path(data_dir) / DatasetRegistry::kFileName).string();
}

// Holds an exclusive flock on DATA/datasets.json.lock for its lifetime. The lock file is never
// renamed or deleted, so every process locks the same inode (locking datasets.json itself would
// not work: it is replaced by rename on every update).
class RegistryLock {
 public:
  explicit RegistryLock(const std::string& data_dir) {
    path_ = registry_path(data_dir) + ".lock";
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw IoError("cannot open lock file '" + path_ + "': " + std::strerror(errno));
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      const std::string reason = std::strerror(errno);
      ::close(fd_);
      throw IoError("cannot lock '" + path_ + "': " + reason);
    }
  }
  ~RegistryLock() {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
  RegistryLock(const RegistryLock&) = delete;
  RegistryLock& operator=(const RegistryLock&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
};

template <typename T>
T get_key(const json& j, const char* key, const std::string& file, const std::string& where) {
  if (!j.is_object() || !j.contains(key)) {
    throw IoError("'" + file + "': missing key '" + where + key + "'");
  }
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

// Older xcodec versions wrapped the entries: {"format_version": 1, "datasets": {NAME: entry}}.
// The documented layout is the mapping itself. A file is in the wrapped form when its
// "datasets" value is an object that is not itself an entry (an entry named "datasets" has a
// string "path") and no other top-level value is an object.
bool is_wrapped_form(const json& j) {
  const auto it = j.find("datasets");
  if (it == j.end() || !it->is_object()) return false;
  if (it->contains("path") && it->at("path").is_string()) return false;
  for (const auto& [key, value] : j.items()) {
    if (key != "datasets" && value.is_object()) return false;
  }
  return true;
}

// The registry as a mapping from name to entry (the documented layout), whatever form the file
// is in; `*wrapped` tells whether it was the old wrapped form. A missing file is empty.
json parse_registry(const std::string& file, bool* wrapped = nullptr) {
  if (wrapped != nullptr) *wrapped = false;
  if (!fs::exists(file)) return json::object();
  const std::string text = io::read_file(file);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw IoError("'" + file + "': invalid JSON: " + e.what());
  }
  if (!j.is_object()) throw IoError("'" + file + "': expected a JSON object");
  if (is_wrapped_form(j)) {
    if (wrapped != nullptr) *wrapped = true;
    return j.at("datasets");
  }
  for (const auto& [name, e] : j.items()) {
    if (!e.is_object()) {
      throw IoError("'" + file + "': entry '" + name + "' must be an object (" + name +
                    ": {\"path\": ..., \"sample_rate\": ..., \"audio_format\": ...})");
    }
  }
  return j;
}

DatasetEntry entry_from_json(const std::string& name, const json& e, const std::string& file,
                             bool wrapped) {
  const std::string where = (wrapped ? "datasets." : "") + name + ".";
  DatasetEntry d;
  d.name = name;
  d.path = get_key<std::string>(e, "path", file, where);
  d.sample_rate = get_key<int>(e, "sample_rate", file, where);
  d.audio_format = get_key<std::string>(e, "audio_format", file, where);
  if (e.contains("stats")) {
    const json& s = e.at("stats");
    const std::string sw = where + "stats.";
    d.stats.train_samples = get_key<int64_t>(s, "train_samples", file, sw);
    d.stats.val_samples = get_key<int64_t>(s, "val_samples", file, sw);
    d.stats.test_samples = get_key<int64_t>(s, "test_samples", file, sw);
    if (s.contains("train_hours"))
      d.stats.train_hours = get_key<double>(s, "train_hours", file, sw);
    if (s.contains("val_hours")) d.stats.val_hours = get_key<double>(s, "val_hours", file, sw);
    if (s.contains("test_hours")) d.stats.test_hours = get_key<double>(s, "test_hours", file, sw);
  }
  return d;
}

// The documented entry; the *_hours are extra keys inside "stats", which readers of the
// documented layout ignore.
json entry_to_json(const DatasetEntry& d) {
  return json{{"path", d.path},
              {"sample_rate", d.sample_rate},
              {"audio_format", d.audio_format},
              {"stats",
               {{"train_samples", d.stats.train_samples},
                {"val_samples", d.stats.val_samples},
                {"test_samples", d.stats.test_samples},
                {"train_hours", d.stats.train_hours},
                {"val_hours", d.stats.val_hours},
                {"test_hours", d.stats.test_hours}}}};
}

void write_registry(const std::string& file, const json& j) {
  io::write_file_atomic(file, j.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
}

}  // namespace

DatasetRegistry DatasetRegistry::load(const std::string& data_dir) {
  DatasetRegistry reg;
  reg.data_dir_ = data_dir;
  const std::string file = registry_path(data_dir);
  bool wrapped = false;
  const json j = parse_registry(file, &wrapped);
  for (const auto& [name, e] : j.items()) {
    reg.entries_.emplace(name, entry_from_json(name, e, file, wrapped));
  }
  return reg;
}

void DatasetRegistry::update(const std::string& data_dir, const DatasetEntry& entry) {
  validate_dataset_name(entry.name);
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) throw IoError("cannot create data folder '" + data_dir + "': " + ec.message());
  const RegistryLock lock(data_dir);
  const std::string file = registry_path(data_dir);
  json j = parse_registry(file);  // an older wrapped file is rewritten in the documented layout
  j[entry.name] = entry_to_json(entry);
  write_registry(file, j);
}

void DatasetRegistry::remove(const std::string& data_dir, const std::string& name) {
  const std::string file = registry_path(data_dir);
  if (!fs::exists(data_dir)) return;
  const RegistryLock lock(data_dir);
  json j = parse_registry(file);
  if (j.erase(name) == 0) return;
  write_registry(file, j);
}

std::vector<std::string> DatasetRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& kv : entries_) out.push_back(kv.first);
  return out;
}

const DatasetEntry& DatasetRegistry::entry(const std::string& name) const {
  const auto it = entries_.find(name);
  if (it == entries_.end()) {
    std::string known;
    for (const auto& kv : entries_) known += (known.empty() ? "" : ", ") + kv.first;
    throw ConfigError("dataset '" + name + "' is not registered in '" + registry_path(data_dir_) +
                      "' (registered: " + (known.empty() ? "none" : known) + ")");
  }
  return it->second;
}

std::string DatasetRegistry::dataset_dir(const std::string& name) const {
  const fs::path p(entry(name).path);
  return p.is_absolute() ? p.string() : (fs::path(data_dir_) / p).string();
}

std::string DatasetRegistry::audio_dir(const std::string& name) const {
  return (fs::path(dataset_dir(name)) / "audio").string();
}

std::string DatasetRegistry::split_path(const std::string& name, Split split) const {
  return (fs::path(dataset_dir(name)) / split_file_name(split)).string();
}

std::string DatasetRegistry::metadata_path(const std::string& name) const {
  return (fs::path(dataset_dir(name)) / "metadata.json").string();
}

}  // namespace xcodec::data
