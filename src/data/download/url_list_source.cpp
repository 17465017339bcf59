// `xcodec download urls LIST`: any list of URLs with an optional checksum column.
#include <cctype>
#include <map>
#include <sstream>

#include "data/download/digest.h"
#include "data/download/extract.h"
#include "xcodec/core/error.h"
#include "xcodec/data/download/download.h"
#include "xcodec/io/atomic_file.h"

namespace xcodec::data {
namespace {

// The last segment of the URL's path, without query or fragment.
std::string file_name_of(const std::string& url) {
  std::string path = url.substr(0, url.find_first_of("?#"));
  const size_t scheme = path.find("://");
  if (scheme != std::string::npos) {
    const size_t slash = path.find('/', scheme + 3);
    path = slash == std::string::npos ? "" : path.substr(slash);
  }
  return path.substr(path.rfind('/') + 1);
}

}  // namespace

std::vector<DownloadItem> parse_url_list(const std::string& text, const std::string& origin) {
  std::vector<DownloadItem> items;
  std::map<std::string, int> names;  // file name -> line
  std::istringstream in(text);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const size_t hash = line.find('#');
    if (hash != std::string::npos &&
        (hash == 0 || std::isspace(static_cast<unsigned char>(line[hash - 1])))) {
      line.resize(hash);
    }
    std::istringstream fields(line);
    std::string url, sum, extra;
    if (!(fields >> url)) continue;
    fields >> sum;
    const std::string where = origin + ":" + std::to_string(number);
    if (fields >> extra) throw ConfigError(where + ": expected 'URL [checksum]', got more fields");
    if (url.find("://") == std::string::npos) {
      throw ConfigError(where + ": '" + url + "' is not a URL (no scheme)");
    }
    DownloadItem item;
    item.url = url;
    try {
      item.checksum = download::Checksum::parse(sum).to_string();
    } catch (const ConfigError& e) {
      throw ConfigError(where + ": " + e.what());
    }
    item.relative_path = file_name_of(url);
    if (item.relative_path.empty() || item.relative_path == "." || item.relative_path == "..") {
      throw ConfigError(where + ": no file name in '" + url + "'");
    }
    if (const auto it = names.find(item.relative_path); it != names.end()) {
      throw ConfigError(where + ": file name '" + item.relative_path + "' repeats line " +
                        std::to_string(it->second));
    }
    names[item.relative_path] = number;
    if (download::is_archive_name(item.relative_path)) item.unpack = DownloadItem::Unpack::kArchive;
    items.push_back(item);
  }
  if (items.empty()) throw ConfigError(origin + ": no URL in the list");
  return items;
}

DownloadResult download_url_list(const UrlListDownloadConfig& config) {
  const auto items = parse_url_list(io::read_file(config.list_path), config.list_path);
  DownloadResult r = download_items(items, config.common, "urls");
  r.prepare_input_dir = r.output_dir;
  return r;
}

}  // namespace xcodec::data
