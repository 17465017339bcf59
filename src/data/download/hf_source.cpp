// `xcodec download hf REPO`: a Hugging Face Hub dataset repository, listed through the Hub's
// HTTP API (https://huggingface.co/docs/hub/api) and fetched through /resolve/ URLs.
#include <fnmatch.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <regex>

#include <nlohmann/json.hpp>

#include "data/download/extract.h"
#include "data/download/http_client.h"
#include "data/download/run_download.h"
#include "xcodec/core/error.h"
#include "xcodec/core/logging.h"
#include "xcodec/data/download/download.h"

namespace xcodec::data {
namespace {

using nlohmann::json;

std::string endpoint_of(const HfDownloadConfig& c) {
  std::string e = c.endpoint;
  if (e.empty()) {
    const char* env = std::getenv("HF_ENDPOINT");
    e = env && *env ? env : "https://huggingface.co";
  }
  while (!e.empty() && e.back() == '/') e.pop_back();
  return e;
}

std::vector<std::string> auth_headers(const HfDownloadConfig& c) {
  std::string token = c.token;
  if (token.empty()) {
    const char* env = std::getenv("HF_TOKEN");
    if (env) token = env;
  }
  if (token.empty()) return {};
  return {"Authorization: Bearer " + token};
}

// The URL of rel="next" in a Link header, or "".
std::string next_page(const std::map<std::string, std::string>& headers) {
  const auto it = headers.find("link");
  if (it == headers.end()) return "";
  static const std::regex kNext(R"(<([^>]*)>\s*;\s*rel\s*=\s*"?next"?)");
  std::smatch m;
  return std::regex_search(it->second, m, kNext) ? m[1].str() : "";
}

// Name of the folder a shard's clips go to: its path without the archive suffix.
std::string shard_stem(const std::string& path) {
  for (const char* s :
       {".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst", ".tgz", ".tbz2", ".txz", ".tar", ".zip"}) {
    const std::string suffix(s);
    if (path.size() > suffix.size() &&
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return path.substr(0, path.size() - suffix.size());
    }
  }
  return path;
}

}  // namespace

std::vector<DownloadItem> hf_items(const HfDownloadConfig& config) {
  static const std::regex kRepo(R"([A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?)");
  if (!std::regex_match(config.repo, kRepo)) {
    throw ConfigError("repo: expected 'owner/name', got '" + config.repo + "'");
  }
  if (config.revision.empty()) throw ConfigError("revision: empty");
  if (config.max_files < 0) throw ConfigError("max_files: expected >= 0");
  const std::string endpoint = endpoint_of(config);
  const std::string revision = download::url_encode_path(config.revision, /*keep_slash=*/false);
  download::HttpOptions http;
  http.headers = auth_headers(config);
  http.retries = config.common.retries;
  http.retry_delay_s = config.common.retry_delay_s;

  struct Listed {
    std::string path;
    int64_t size = -1;
    std::string sha256;
  };
  std::vector<Listed> files;
  std::string url = endpoint + "/api/datasets/" + config.repo + "/tree/" + revision +
                    "?recursive=true&expand=false";
  for (int page = 0; !url.empty(); ++page) {
    if (page > 100000) throw IoError("listing " + config.repo + ": too many pages");
    const download::HttpText r = download::http_get_text(url, http);
    json j;
    try {
      j = json::parse(r.body);
    } catch (const json::exception& e) {
      throw IoError("listing of " + config.repo + " (" + url + ") is not JSON: " + e.what());
    }
    if (!j.is_array()) throw IoError("listing of " + config.repo + " (" + url + ") is not a list");
    for (const auto& e : j) {
      if (!e.is_object() || e.value("type", "") != "file" || !e.contains("path")) continue;
      Listed f;
      f.path = e["path"].get<std::string>();
      if (e.contains("size") && e["size"].is_number_integer()) f.size = e["size"].get<int64_t>();
      if (e.contains("lfs") && e["lfs"].is_object()) {
        f.sha256 = e["lfs"].value("oid", "");
        if (e["lfs"].contains("size") && e["lfs"]["size"].is_number_integer()) {
          f.size = e["lfs"]["size"].get<int64_t>();
        }
      }
      files.push_back(f);
    }
    url = next_page(r.headers);
  }
  std::sort(files.begin(), files.end(),
            [](const Listed& a, const Listed& b) { return a.path < b.path; });

  std::vector<DownloadItem> items;
  for (const auto& f : files) {
    if (!config.include.empty() &&
        std::none_of(config.include.begin(), config.include.end(), [&](const std::string& g) {
          return ::fnmatch(g.c_str(), f.path.c_str(), 0) == 0;
        })) {
      continue;
    }
    DownloadItem item;
    // A listing is outside data too: its paths get the archive-member checks.
    item.relative_path = download::checked_member_path(endpoint + " listing", f.path);
    item.url = endpoint + "/datasets/" + config.repo + "/resolve/" + revision + "/" +
               download::url_encode_path(f.path);
    item.size = f.size;
    if (!f.sha256.empty()) item.checksum = "sha256:" + f.sha256;
    if (download::is_archive_name(f.path)) {
      item.unpack = DownloadItem::Unpack::kWebDatasetAudio;
      item.unpack_dir = "audio/" + shard_stem(item.relative_path);
    }
    items.push_back(item);
    if (config.max_files > 0 && static_cast<int>(items.size()) >= config.max_files) break;
  }
  if (items.empty()) {
    throw IoError("no file of " + config.repo + " at " + config.revision +
                  (config.include.empty() ? std::string() : " matches --include") + " (" +
                  std::to_string(files.size()) + " files listed)");
  }
  XCODEC_LOG_INFO("[download] " << config.repo << "@" << config.revision << ": " << items.size()
                                << " of " << files.size() << " files selected");
  return items;
}

DownloadResult download_hf(const HfDownloadConfig& config) {
  config.common.validate();
  const auto items = hf_items(config);
  DownloadResult r = detail::run_download(items, config.common, "hf", auth_headers(config));
  const bool shards = std::any_of(items.begin(), items.end(), [](const DownloadItem& i) {
    return i.unpack == DownloadItem::Unpack::kWebDatasetAudio;
  });
  r.prepare_input_dir =
      shards ? (std::filesystem::path(r.output_dir) / "audio").string() : r.output_dir;
  return r;
}

}  // namespace xcodec::data
