#include "data/prepare/prepare_state.h"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <vector>

#include "xcodec/data/registry/name_escape.h"
#include "xcodec/io/atomic_file.h"

namespace xcodec::data::detail {

namespace {
constexpr const char* kHeader = "# xcodec-prepare-state v1\t";

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t tab = line.find('\t', start);
    parts.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  return parts;
}

bool parse_int(const std::string& s, int64_t* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (*end != '\0' || errno != 0) return false;
  *out = v;
  return true;
}

std::string clean(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return out;
}
}  // namespace

std::string state_fingerprint(int sample_rate, const std::string& format) {
  return "sample_rate=" + std::to_string(sample_rate) + "\tformat=" + format;
}

StateMap read_state(const std::string& path, std::string* fingerprint) {
  StateMap rows;
  fingerprint->clear();
  std::ifstream in(path, std::ios::binary);
  if (!in) return rows;
  std::string line;
  if (!std::getline(in, line) || line.rfind(kHeader, 0) != 0) return rows;
  *fingerprint = line.substr(std::string(kHeader).size());
  while (std::getline(in, line)) {
    const std::vector<std::string> f = split_tabs(line);
    if (f.size() != 6) continue;
    StateRow r;
    if (!parse_int(f[1], &r.size) || !parse_int(f[2], &r.mtime_ns) ||
        !parse_int(f[4], &r.num_samples)) {
      continue;
    }
    r.status = f[3];
    if (r.status != "ok" && r.status != "filtered" && r.status != "bad" && r.status != "ignored") {
      continue;
    }
    r.detail = f[5];
    rows[unescape_name(f[0])] = std::move(r);
  }
  return rows;
}

void write_state(const std::string& path, const std::string& fingerprint, const StateMap& rows) {
  std::string out = kHeader + fingerprint + "\n";
  for (const auto& [rel, r] : rows) {
    out += escape_name(rel) + "\t" + std::to_string(r.size) + "\t" + std::to_string(r.mtime_ns) +
           "\t" + r.status + "\t" + std::to_string(r.num_samples) + "\t" + clean(r.detail) + "\n";
  }
  io::write_file_atomic(path, out);
}

}  // namespace xcodec::data::detail
