#pragma once
/// Output names of `xcodec prepare` (docs/data.md, "Output names"): where under
/// processed/NAME/audio each source file is written.
///
/// A source `<folders>/<file name>` (relative to the input folder) becomes
/// `<folders'>/<stem'><ext>`, where
///  - the stem is the file name without its last extension: "x.flac" -> "x", "a.b.wav" -> "a.b",
///    "name." -> "name", ".hidden.wav" -> ".hidden"; a name without a dot, or whose only dot is
///    its first character (".hidden"), is all stem;
///  - every folder and the stem are escaped with escape_name (registry/name_escape.h), so output
///    names are valid UTF-8 without control characters ("caf\xE9" -> "caf%E9");
///  - a component longer than the limit (kMaxOutputNameBytes, extension included) is shortened
///    to a prefix + "~" + 8 hex digits of a hash of its original bytes. The limit leaves room
///    for the writer's temporary names (`<name>.tmp.<pid>.<n>`) below NAME_MAX (255 bytes).
/// When several sources would get one output path (`x.flac` and `x.oga` -> `x.wav`), the first
/// in byte order of the source path keeps it; each other one gets the first free of
///  1. `<folders'>/<escaped file name><ext>` (`x.oga` -> `x.oga.wav`),
///  2. `<folders'>/<stem'>~<h><ext>`, h = 8 hex digits of a hash of the whole relative path,
///  3. `<folders'>/<stem'>~<h>-<k><ext>` for k = 2, 3, ...
/// A name an earlier run gave a source is kept while it is one of the names above and free, so
/// adding files never renames the outputs of files already converted.
#include <cstddef>
#include <string>
#include <vector>

namespace xcodec::data {

/// Longest output file or folder name, in bytes (extension included).
inline constexpr size_t kMaxOutputNameBytes = 200;

/// The stem of a file name (see the file comment).
std::string file_stem(const std::string& file_name);

/// `raw` escaped, plus `suffix`; shortened to a prefix + "~" + hash of `raw` + `suffix` when
/// longer than `max_bytes`. Never cuts an escape or a UTF-8 sequence in two.
std::string output_component(const std::string& raw, const std::string& suffix = "",
                             size_t max_bytes = kMaxOutputNameBytes);

/// The plain output path of a source (first rule above), e.g. ("a/x.flac", ".wav") -> "a/x.wav".
std::string default_output_path(const std::string& source, const std::string& ext,
                                size_t max_bytes = kMaxOutputNameBytes);

/// Output paths of `sources` (relative paths, '/'-separated, sorted, distinct), in the same
/// order, all distinct, none equal to a folder another output lies in. `previous[i]` is the
/// output an earlier run wrote for sources[i] ("" when none; the vector may be empty).
std::vector<std::string> assign_output_names(const std::vector<std::string>& sources,
                                             const std::vector<std::string>& previous,
                                             const std::string& ext,
                                             size_t max_bytes = kMaxOutputNameBytes);

}  // namespace xcodec::data
