#pragma once
/// `xcodec download`: public corpora fetched over HTTP(S) with resume, checksums, safe
/// extraction and a shared state file.
///
///   data::LibrispeechDownloadConfig cfg;
///   cfg.common.output_dir = "DATA/raw";
///   cfg.subsets = "dev-clean,test-clean";
///   const data::DownloadResult r = data::download_librispeech(cfg);
///   // r.prepare_input_dir == "DATA/raw/LibriSpeech", ready for data::prepare_dataset
///
/// Every file is written as OUTPUT/NAME.part (an HTTP Range request resumes it after a dropped
/// connection or an interrupted run), checked against its published checksum, and only then
/// renamed to NAME. Archives are unpacked once (a marker file `.NAME.extracted` beside the
/// archive and `"extracted": true` in the state record it) with the checks of a hostile-archive
/// guard: absolute paths, ".." components and links leaving the target are refused. The record
/// of every file is DATA/data_dl.json (see docs/data.md, "Downloading corpora"), shared safely
/// by concurrent runs; a second run only does what is missing.
#include <cstdint>
#include <string>
#include <vector>

namespace xcodec::data {

/// Options every source shares. Field names equal the CLI flags (with '-' for '_').
struct DownloadConfig {
  std::string output_dir;         // where the files go (created)
  std::string data_dir;           // holds data_dl.json; "" = the parent of output_dir
  int jobs = 4;                   // files fetched at once (>= 1)
  int retries = 5;                // further tries of a failed transfer / a bad checksum
  double retry_delay_s = 1.0;     // first back-off in seconds; doubles per try, max 60 s
  double stall_timeout_s = 60.0;  // a transfer that moves no byte for this long is retried
  bool skip_checksum = false;     // accept files whatever their checksum (repacked mirrors)
  bool extract = true;            // unpack archives after download
  std::string progress =
      "auto";  // "auto" (redrawn on a terminal, else lines), "bar", "lines", "none"
  double progress_interval_s = 10.0;  // seconds between plain progress lines

  /// Throws ConfigError naming the field when a value is out of range.
  void validate() const;
  /// data_dir, or the parent folder of output_dir when data_dir is empty.
  std::string resolved_data_dir() const;
};

/// One file to fetch.
struct DownloadItem {
  enum class Unpack {
    kNone,             // keep the file as it is
    kArchive,          // unpack every member below unpack_dir
    kWebDatasetAudio,  // unpack the audio members as unpack_dir/<clip id>.<ext>
  };
  std::string url;
  std::string relative_path;  // under output_dir ('/'-separated, no "..")
  std::string checksum;       // "md5:<hex>", "sha256:<hex>" or "" (none published)
  int64_t size = -1;          // expected bytes; -1 unknown
  Unpack unpack = Unpack::kNone;
  std::string unpack_dir;  // under output_dir; "" = output_dir itself
};

/// What a run did.
struct DownloadResult {
  std::string output_dir;
  std::string state_path;         // DATA/data_dl.json
  std::string prepare_input_dir;  // the folder to give `xcodec prepare`
  int64_t files = 0;              // items in the plan
  int64_t downloaded = 0;         // fetched (and verified) in this run
  int64_t already_done = 0;       // present and recorded as verified by an earlier run
  int64_t extracted = 0;          // archives unpacked in this run
  int64_t bytes = 0;              // bytes transferred in this run (resumed parts not counted)
  double wall_s = 0.0;            // seconds the run took
  /// True when the run found everything present and unpacked.
  bool nothing_to_do() const { return downloaded == 0 && extracted == 0 && files > 0; }
};

/// Fetches `items` into config.output_dir, `config.jobs` at a time. A failed file does not stop
/// the others; files that finished are kept and recorded. Throws IoError afterwards when any
/// file failed (404, refused or dropped connection after the retries, checksum mismatch after
/// the retries, a full disk, a hostile archive), naming the first failure and the count.
/// `source` is recorded in the state file.
DownloadResult download_items(const std::vector<DownloadItem>& items, const DownloadConfig& config,
                              const std::string& source);

/// LibriSpeech (openslr.org resource 12): the seven published archives with their MD5 sums.
struct LibrispeechDownloadConfig {
  DownloadConfig common;
  std::string subsets = "all";  // comma-separated subset names, or "all"
  std::string mirror = "https://www.openslr.org/resources/12/";  // base URL of the archives
};

/// The subset names in the published order: dev-clean, dev-other, test-clean, test-other,
/// train-clean-100, train-clean-360, train-other-500.
std::vector<std::string> librispeech_subsets();
/// The plan for `config` (throws ConfigError naming an unknown subset).
std::vector<DownloadItem> librispeech_items(const LibrispeechDownloadConfig& config);
/// Downloads and unpacks; prepare_input_dir is OUTPUT/LibriSpeech.
DownloadResult download_librispeech(const LibrispeechDownloadConfig& config);

/// A Hugging Face Hub dataset repository.
struct HfDownloadConfig {
  DownloadConfig common;
  std::string repo;               // "owner/name"
  std::string revision = "main";  // branch, tag or commit
  std::vector<std::string>
      include;           // fnmatch globs on the repo path ('*' crosses '/'); empty = all
  int max_files = 0;     // first N matching files by path; 0 = all
  std::string endpoint;  // "" = $HF_ENDPOINT, else https://huggingface.co
  std::string token;     // "" = $HF_TOKEN (sent as a Bearer token)
};

/// Lists the repository through the Hub API (GET {endpoint}/api/datasets/{repo}/tree/{revision}
/// ?recursive=true, following the Link header's next pages) and plans its files: LFS files are
/// checked against their SHA-256, tar shards (WebDataset) are unpacked to OUTPUT/audio/<shard>/
/// with the clip id as file name. Throws IoError on listing errors (401 names HF_TOKEN).
std::vector<DownloadItem> hf_items(const HfDownloadConfig& config);
/// Downloads; prepare_input_dir is OUTPUT/audio when shards were unpacked, else OUTPUT.
DownloadResult download_hf(const HfDownloadConfig& config);

/// A text file of URLs: `URL [md5-or-sha256]` per line, '#' starts a comment.
struct UrlListDownloadConfig {
  DownloadConfig common;
  std::string list_path;
};

/// Parses a URL list (`origin` names it in errors): each file is saved under the last segment
/// of its URL path, archives (by name) are unpacked into the output folder. Throws ConfigError
/// naming the line for a malformed checksum, an unusable name or a repeated name.
std::vector<DownloadItem> parse_url_list(const std::string& text, const std::string& origin);
/// Downloads; prepare_input_dir is OUTPUT.
DownloadResult download_url_list(const UrlListDownloadConfig& config);

}  // namespace xcodec::data
