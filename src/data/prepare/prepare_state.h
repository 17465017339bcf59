#pragma once
// Private: processed/NAME/.prepare-state.tsv, the memory of earlier prepare runs.
//
//   # xcodec-prepare-state v1<TAB>sample_rate=16000<TAB>format=wav
//   <source rel path, escaped>\t<size>\t<mtime_ns>\t<status>\t<num_samples>\t<detail>
//
// status: "ok" (output written; detail = output path under audio/), "filtered" (decoded fine but
// outside --min/--max-seconds, nothing written; detail empty), "bad" (unusable audio; detail =
// reason), "ignored" (not audio; detail = reason). The source path is escaped with escape_name
// (a tab or newline in a name cannot break a row); in memory the map is keyed by the raw path.
// A run whose sample rate or format differs from the header's ignores the rows for reuse.
#include <cstdint>
#include <map>
#include <string>

namespace xcodec::data::detail {

struct StateRow {
  int64_t size = 0;         // bytes of the source when it was processed
  int64_t mtime_ns = 0;     // source modification time when it was processed
  std::string status;       // "ok", "filtered", "bad" or "ignored"
  int64_t num_samples = 0;  // processed length in samples (ok / filtered)
  std::string detail;       // output path (ok) or reason (bad, ignored)
};

using StateMap = std::map<std::string, StateRow>;

/// The header line's settings for a run ("sample_rate=16000\tformat=wav").
std::string state_fingerprint(int sample_rate, const std::string& format);

/// Reads the state file. `*fingerprint` receives the header's settings ("" when the file is
/// missing). Malformed lines are ignored (the file is a cache: losing a row costs one
/// re-conversion, never correctness).
StateMap read_state(const std::string& path, std::string* fingerprint);

/// Writes the state atomically.
void write_state(const std::string& path, const std::string& fingerprint, const StateMap& rows);

}  // namespace xcodec::data::detail
