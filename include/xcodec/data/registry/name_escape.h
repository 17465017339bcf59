#pragma once
/// The one escape xcodec uses for file names that are not plain UTF-8 text (docs/data.md, "File
/// names"). File systems store names as bytes; TSV and JSON want text, and nlohmann-json refuses
/// invalid UTF-8. So wherever a name leaves the file system — output file names written by
/// `xcodec prepare`, source paths in metadata.json, keys of .prepare-state.tsv — it is escaped:
///
///   - `%` becomes `%25`;
///   - every byte that is not part of a well-formed UTF-8 sequence (e.g. Latin-1 `\xE9`), every
///     C0 control byte (0x00-0x1F, so tab and newline) and DEL (0x7F) becomes `%XX` (two
///     upper-case hex digits);
///   - everything else (ASCII text, well-formed UTF-8 such as `ü` or `声`) is kept as it is.
///
///   escape_name("caf\xE9 100%.flac") == "caf%E9 100%25.flac"
///   unescape_name("caf%E9 100%25.flac") == "caf\xE9 100%.flac"
///
/// The result is always valid UTF-8 without control characters, and unescape_name(escape_name(x))
/// == x for every byte string x, so nothing is lost.
#include <string>

namespace xcodec::data {

/// True when `s` is well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(const std::string& s);

/// Escapes `raw` as described above.
std::string escape_name(const std::string& raw);

/// Inverse of escape_name: each `%XX` (two hex digits, either case) becomes its byte; a `%` not
/// followed by two hex digits is kept literally.
std::string unescape_name(const std::string& escaped);

}  // namespace xcodec::data
