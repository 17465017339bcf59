#include "xcodec/data/prepare/split_rule.h"

#include <array>
#include <cctype>
#include <utility>

namespace xcodec::data {

uint64_t fnv1a64(const std::string& s) {
  uint64_t h = 14695981039346656037ULL;
  for (const unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

uint64_t fmix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

std::optional<Split> split_from_folder_name(const std::string& folder) {
  std::string name;
  name.reserve(folder.size());
  for (const unsigned char c : folder) name.push_back(static_cast<char>(std::tolower(c)));
  // Longer words first so "validation" is not read as "val" + letters.
  static const std::array<std::pair<const char*, Split>, 9> kWords = {{
      {"validation", Split::kVal},
      {"development", Split::kVal},
      {"training", Split::kTrain},
      {"testing", Split::kTest},
      {"train", Split::kTrain},
      {"valid", Split::kVal},
      {"test", Split::kTest},
      {"dev", Split::kVal},
      {"val", Split::kVal},
  }};
  for (const auto& [word, split] : kWords) {
    const std::string w(word);
    if (name.compare(0, w.size(), w) != 0) continue;
    if (name.size() == w.size() || !std::isalpha(static_cast<unsigned char>(name[w.size()]))) {
      return split;
    }
  }
  return std::nullopt;
}

std::optional<Split> split_from_path(const std::string& relative_path) {
  size_t start = 0;
  while (true) {
    const size_t slash = relative_path.find('/', start);
    if (slash == std::string::npos) return std::nullopt;  // the rest is the file name
    if (auto s = split_from_folder_name(relative_path.substr(start, slash - start))) return s;
    start = slash + 1;
  }
}

Split hash_split(const std::string& relative_path, double val_fraction, double test_fraction) {
  // Drop the file extension so a re-encoded corpus keeps its splits.
  std::string key = relative_path;
  const size_t slash = key.rfind('/');
  const size_t dot = key.rfind('.');
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash + 1)) key.resize(dot);
  // FNV-1a alone mixes the last bytes poorly into the high bits (utt_01 and utt_02 of a folder
  // would land in the same split); the MurmurHash3 64-bit finalizer spreads every input bit.
  const uint64_t h = fmix64(fnv1a64(key));
  const double u = static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);  // 53 bits / 2^53
  if (u < test_fraction) return Split::kTest;
  if (u < test_fraction + val_fraction) return Split::kVal;
  return Split::kTrain;
}

Split assign_split(const std::string& relative_path, double val_fraction, double test_fraction) {
  if (auto s = split_from_path(relative_path)) return *s;
  return hash_split(relative_path, val_fraction, test_fraction);
}

}  // namespace xcodec::data
