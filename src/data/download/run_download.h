#pragma once
// Private: download_items with extra request headers (the Hub's Bearer token), for the sources.
#include <string>
#include <vector>

#include "xcodec/data/download/download.h"

namespace xcodec::data::detail {

DownloadResult run_download(const std::vector<DownloadItem>& items, const DownloadConfig& config,
                            const std::string& source, const std::vector<std::string>& headers);

}  // namespace xcodec::data::detail
