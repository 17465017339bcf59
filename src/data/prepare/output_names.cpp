#include "xcodec/data/prepare/output_names.h"

#include <algorithm>
#include <cstdint>
#include <unordered_set>
#include <utility>

#include "xcodec/data/prepare/split_rule.h"
#include "xcodec/data/registry/name_escape.h"

namespace xcodec::data {

namespace {

// 8 lower-case hex digits of the mixed FNV-1a hash of `s` (the split rule's hash).
std::string hash8(const std::string& s) {
  static const char kHex[] = "0123456789abcdef";
  const uint64_t h = fmix64(fnv1a64(s));
  std::string out(8, '0');
  for (int i = 0; i < 8; ++i) out[i] = kHex[(h >> (60 - 4 * i)) & 0xF];
  return out;
}

// The longest prefix of the escaped string `s` of at most `max` bytes that ends on a boundary:
// never inside a "%XX" escape or a UTF-8 sequence.
std::string safe_prefix(const std::string& s, size_t max) {
  size_t end = 0;
  for (size_t i = 0; i < s.size();) {
    size_t n = 1;
    const auto b = static_cast<uint8_t>(s[i]);
    if (s[i] == '%') {
      n = 3;
    } else if (b >= 0xF0) {
      n = 4;
    } else if (b >= 0xE0) {
      n = 3;
    } else if (b >= 0xC0) {
      n = 2;
    }
    if (i + n > max) break;
    i += n;
    end = i;
  }
  return s.substr(0, std::min(end, s.size()));
}

// (folder part incl. trailing '/', file name) of a '/'-separated relative path.
std::pair<std::string, std::string> split_dir(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {"", path};
  return {path.substr(0, slash + 1), path.substr(slash + 1)};
}

// Escaped and shortened folder part ("a/b/" -> "a'/b'/").
std::string output_dirs(const std::string& raw_dirs, size_t max_bytes) {
  std::string out;
  size_t start = 0;
  while (start < raw_dirs.size()) {
    const size_t slash = raw_dirs.find('/', start);
    out += output_component(raw_dirs.substr(start, slash - start), "", max_bytes) + "/";
    start = slash + 1;
  }
  return out;
}

// Name forms 2 and 3 of the file comment: the stem, shortened so that "~<hash><tail><ext>"
// fits.
std::string hashed_name(const std::string& stem, const std::string& source, const std::string& tail,
                        const std::string& ext, size_t max_bytes) {
  const std::string suffix = "~" + hash8(source) + tail + ext;
  const std::string escaped = escape_name(stem);
  const size_t room = max_bytes > suffix.size() ? max_bytes - suffix.size() : 0;
  return safe_prefix(escaped, room) + suffix;
}

// Whether `name` (an earlier run's output for `source`) is one of the names the rules can give
// `source`, so it may be kept.
bool is_rule_name(const std::string& source, const std::string& name, const std::string& ext,
                  size_t max_bytes) {
  const auto [raw_dirs, file] = split_dir(source);
  const std::string dirs = output_dirs(raw_dirs, max_bytes);
  if (name.size() <= dirs.size() || name.compare(0, dirs.size(), dirs) != 0) return false;
  const std::string out_file = name.substr(dirs.size());
  if (out_file.find('/') != std::string::npos || out_file.size() > max_bytes) return false;
  const std::string stem = file_stem(file);
  if (out_file == output_component(stem, ext, max_bytes)) return true;
  if (out_file == output_component(file, ext, max_bytes)) return true;
  // Form 2 or 3: "<prefix of the escaped stem>~<this source's hash>[-k]<ext>".
  if (out_file.size() < ext.size() ||
      out_file.compare(out_file.size() - ext.size(), ext.size(), ext) != 0) {
    return false;
  }
  const std::string body = out_file.substr(0, out_file.size() - ext.size());
  const std::string marker = "~" + hash8(source);
  const size_t at = body.rfind(marker);
  if (at == std::string::npos || escape_name(stem).compare(0, at, body, 0, at) != 0) return false;
  const std::string tail = body.substr(at + marker.size());
  if (tail.empty()) return true;
  if (tail.size() < 2 || tail[0] != '-') return false;
  for (size_t i = 1; i < tail.size(); ++i) {
    if (tail[i] < '0' || tail[i] > '9') return false;
  }
  return true;
}

}  // namespace

std::string file_stem(const std::string& file_name) {
  const size_t dot = file_name.rfind('.');
  if (dot == std::string::npos || dot == 0) return file_name;
  return file_name.substr(0, dot);
}

std::string output_component(const std::string& raw, const std::string& suffix, size_t max_bytes) {
  const std::string escaped = escape_name(raw);
  if (escaped.size() + suffix.size() <= max_bytes) return escaped + suffix;
  const std::string tail = "~" + hash8(raw) + suffix;
  const size_t room = max_bytes > tail.size() ? max_bytes - tail.size() : 0;
  return safe_prefix(escaped, room) + tail;
}

std::string default_output_path(const std::string& source, const std::string& ext,
                                size_t max_bytes) {
  const auto [raw_dirs, file] = split_dir(source);
  return output_dirs(raw_dirs, max_bytes) + output_component(file_stem(file), ext, max_bytes);
}

std::vector<std::string> assign_output_names(const std::vector<std::string>& sources,
                                             const std::vector<std::string>& previous,
                                             const std::string& ext, size_t max_bytes) {
  const size_t n = sources.size();
  std::vector<std::string> out(n);
  // Every folder an output lies in: no file may take one of those names.
  std::unordered_set<std::string> taken;
  std::vector<std::string> dirs(n);
  for (size_t i = 0; i < n; ++i) {
    dirs[i] = output_dirs(split_dir(sources[i]).first, max_bytes);
    for (size_t slash = dirs[i].find('/'); slash != std::string::npos;
         slash = dirs[i].find('/', slash + 1)) {
      taken.insert(dirs[i].substr(0, slash));
    }
  }
  // 1. Names from an earlier run.
  for (size_t i = 0; i < n && i < previous.size(); ++i) {
    const std::string& p = previous[i];
    if (p.empty() || taken.count(p) != 0 || !is_rule_name(sources[i], p, ext, max_bytes)) {
      continue;
    }
    out[i] = p;
    taken.insert(p);
  }
  // 2. Plain names, first come (in source order) first served.
  for (size_t i = 0; i < n; ++i) {
    if (!out[i].empty()) continue;
    std::string name = default_output_path(sources[i], ext, max_bytes);
    if (taken.insert(name).second) out[i] = std::move(name);
  }
  // 3. The others: the whole file name, then hashed names.
  for (size_t i = 0; i < n; ++i) {
    if (!out[i].empty()) continue;
    const std::string file = split_dir(sources[i]).second;
    std::string name = dirs[i] + output_component(file, ext, max_bytes);
    for (int k = 1; taken.count(name) != 0; ++k) {
      const std::string tail = k == 1 ? "" : "-" + std::to_string(k);
      name = dirs[i] + hashed_name(file_stem(file), sources[i], tail, ext, max_bytes);
    }
    taken.insert(name);
    out[i] = std::move(name);
  }
  return out;
}

}  // namespace xcodec::data
