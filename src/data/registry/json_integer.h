#pragma once
// Shared by the registry and metadata readers (private to src/data/registry).
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

namespace xcodec::data {

/// Whether `value` (a JSON number) is an integer that T can hold (nlohmann-json's own cast
/// would silently truncate 16000.5 and is undefined for 1e40).
template <typename T>
bool json_integer_fits(const nlohmann::json& value) {
  if (value.is_number_unsigned())
    return value.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<T>::max());
  if (!value.is_number_integer()) return false;
  const int64_t v = value.get<int64_t>();
  return v >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
         v <= static_cast<int64_t>(std::numeric_limits<T>::max());
}

}  // namespace xcodec::data
