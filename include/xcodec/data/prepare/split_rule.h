#pragma once
/// Which split a source file goes to. Two rules, in order:
///  1. Folder names: the first directory component of the relative path (outermost first) whose
///     lower-cased name starts with a split word followed by the end of the name or a non-letter
///     decides: "train"/"training" -> train, "dev"/"development"/"val"/"valid"/"validation" ->
///     val, "test"/"testing" -> test. So LibriSpeech's `train-clean-100`, `dev-clean`,
///     `test-clean` keep their official splits, while `devices/` or `testimonials/` do not count.
///     The file name itself is never used.
///  2. Otherwise a stable hash: u = fmix64(FNV-1a-64(relative path without the file extension,
///     '/' separators, bytes as stored)) / 2^64, in [0, 1) (fmix64 = MurmurHash3's finalizer); u <
///     test_fraction -> test, u < test_fraction + val_fraction -> val, else train. A file's split
///     depends only on its own path, so adding or removing other files never moves it (and neither
///     does converting the corpus to another audio format).
#include <cstdint>
#include <optional>
#include <string>

#include "xcodec/data/registry/split_tsv.h"

namespace xcodec::data {

/// 64-bit FNV-1a hash of the bytes of `s` (offset basis 14695981039346656037, prime 1099511628211).
uint64_t fnv1a64(const std::string& s);

/// MurmurHash3's 64-bit finalizer (avalanches every input bit into every output bit).
uint64_t fmix64(uint64_t h);

/// Rule 1 for a single folder name ("dev-clean" -> val); nullopt when it names no split.
std::optional<Split> split_from_folder_name(const std::string& folder);

/// Rule 1 over the directory components of a '/'-separated relative path.
std::optional<Split> split_from_path(const std::string& relative_path);

/// Rule 2 alone: the hash split of `relative_path`.
Split hash_split(const std::string& relative_path, double val_fraction, double test_fraction);

/// Rule 1, else rule 2.
Split assign_split(const std::string& relative_path, double val_fraction, double test_fraction);

}  // namespace xcodec::data
