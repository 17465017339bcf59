#pragma once
// Private: DATA/data_dl.json, the record of what `xcodec download` fetched (the original's
// data/data_dl.json). Several runs may share it: every update takes an flock on
// DATA/data_dl.json.lock, re-reads the file, changes one entry and writes it back atomically,
// so concurrent runs never lose each other's entries.
//
//   { "format_version": 1,
//     "files": { "raw/dev-clean.tar.gz": { "url": "...", "size": 337926286,
//                "checksum": "md5:42e2…", "status": "done", "extracted": true,
//                "source": "librispeech", "updated": "2026-05-01T10:00:00Z" } } }
//
// Keys are paths relative to the folder of the state file. `status` is "done" (final file
// present and verified) or "failed" (with "error"; a partial NAME.part may be kept for resume).
#include <cstdint>
#include <map>
#include <string>

namespace xcodec::data::download {

struct FileRecord {
  std::string url;
  int64_t size = -1;       // bytes of the final file; -1 unknown
  std::string checksum;    // "md5:…" / "sha256:…" of the final file, "" unknown
  std::string status;      // "done" or "failed"
  bool extracted = false;  // the archive was unpacked (see the marker file beside it)
  std::string source;      // "librispeech", "hf", "urls"
  std::string error;       // why it failed (status "failed")
  std::string updated;     // UTC time of the last change, ISO 8601
};

class StateFile {
 public:
  explicit StateFile(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }

  /// Every entry (empty when the file does not exist). Throws IoError naming the file when it
  /// exists but is not a valid state file.
  std::map<std::string, FileRecord> load() const;

  /// Sets one entry (under the lock: re-read, merge, atomic write). `updated` is filled in.
  void update(const std::string& key, FileRecord record) const;

 private:
  std::string path_;
};

}  // namespace xcodec::data::download
