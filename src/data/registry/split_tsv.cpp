#include "xcodec/data/registry/split_tsv.h"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "xcodec/core/error.h"
#include "xcodec/io/atomic_file.h"

namespace xcodec::data {

std::string split_name(Split split) {
  switch (split) {
    case Split::kTrain:
      return "train";
    case Split::kVal:
      return "val";
    case Split::kTest:
      return "test";
  }
  return "train";
}

Split parse_split(const std::string& name) {
  if (name == "train") return Split::kTrain;
  if (name == "val" || name == "valid" || name == "dev") return Split::kVal;
  if (name == "test") return Split::kTest;
  throw ConfigError("unknown split '" + name + "' (expected train, val or test)");
}

std::string split_file_name(Split split) { return split_name(split) + ".tsv"; }

namespace {

bool unsafe_relative_path(const std::string& p) {
  if (p.empty() || p.front() == '/') return true;
  // Reject any ".." component so a list can never point outside its audio folder.
  size_t start = 0;
  while (start <= p.size()) {
    const size_t end = p.find('/', start);
    const std::string part =
        p.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (part == "..") return true;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return false;
}

}  // namespace

std::vector<SplitEntry> read_split_tsv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot open split list '" + path + "'");
  std::vector<SplitEntry> entries;
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    auto bad = [&](const std::string& why) {
      throw IoError("'" + path + "' line " + std::to_string(line_no) + ": " + why);
    };
    const size_t tab = line.rfind('\t');
    if (tab == std::string::npos) bad("expected '<relative-path>\\t<num-samples>'");
    SplitEntry e;
    e.relative_path = line.substr(0, tab);
    const std::string count = line.substr(tab + 1);
    if (e.relative_path.find('\t') != std::string::npos) bad("more than two columns");
    if (unsafe_relative_path(e.relative_path)) {
      bad("path '" + e.relative_path + "' is empty, absolute or contains '..'");
    }
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(count.c_str(), &end, 10);
    if (count.empty() || end == nullptr || *end != '\0' || errno != 0 || v < 0) {
      bad("num-samples '" + count + "' is not a non-negative integer");
    }
    e.num_samples = v;
    entries.push_back(std::move(e));
  }
  if (in.bad()) throw IoError("error reading split list '" + path + "'");
  return entries;
}

void write_split_tsv(const std::string& path, const std::vector<SplitEntry>& entries) {
  std::string out;
  for (const auto& e : entries) {
    if (e.relative_path.find_first_of("\t\n\r") != std::string::npos) {
      throw IoError("cannot write '" + path + "': path '" + e.relative_path +
                    "' contains a tab or newline");
    }
    out += e.relative_path;
    out += '\t';
    out += std::to_string(e.num_samples);
    out += '\n';
  }
  io::write_file_atomic(path, out);
}

}  // namespace xcodec::data
