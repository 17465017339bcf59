#pragma once
// Private: HTTP(S) GETs on libcurl with range resume, retries and exponential back-off. One
// easy handle per call, so calls from several threads are independent.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "xcodec/core/error.h"

namespace xcodec::data::download {

/// How patient a transfer is.
struct HttpOptions {
  std::vector<std::string> headers;  // extra request headers, e.g. "Authorization: Bearer …"
  int retries = 5;                   // further tries after a failed one that made no progress
  double retry_delay_s = 1.0;        // wait before the first retry; doubles per try, max 60 s
  double connect_timeout_s = 30.0;   // seconds to establish a connection
  double stall_timeout_s = 60.0;     // abort a try that moves no byte for this long
};

/// A failed transfer; `transient()` errors (refused/dropped connections, 5xx, 408, 429) are
/// retried, the others (4xx, a full disk) are not.
class HttpError : public IoError {
 public:
  HttpError(const std::string& message, bool transient, long status = 0)
      : IoError(message), transient_(transient), status_(status) {}
  bool transient() const { return transient_; }
  long status() const { return status_; }  // HTTP status, 0 when none was received

 private:
  bool transient_;
  long status_;
};

/// A small document fetched whole (Hub listings).
struct HttpText {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased; last response only
};

/// GETs `url` into memory (follows redirects). Throws HttpError on a status >= 400 after retries.
HttpText http_get_text(const std::string& url, const HttpOptions& options);

/// Called while bytes arrive: bytes of the file present so far, and its total size (-1 unknown).
using ByteProgress = std::function<void(int64_t done, int64_t total)>;

/// What fetch_to_file did.
struct FetchResult {
  int64_t size = 0;        // bytes in the file
  std::string digest;      // hex digest of the whole file in the requested algorithm ("" none)
  int attempts = 0;        // tries made
  int64_t resumed_at = 0;  // bytes that were already there when the first try started
};

/// Downloads `url` into `part_path`, appending to what the file already holds (an HTTP Range
/// request; a server that ignores it makes the file start over), retrying dropped transfers
/// from where they stopped. `algorithm` ("", "md5", "sha256") is hashed on the fly, including
/// the bytes already present. Throws HttpError naming the URL (and IoError naming the file for
/// local write errors such as a full disk); the partial file is kept for a later resume.
/// `cancel` (may be null) aborts the transfer when it becomes true.
FetchResult fetch_to_file(const std::string& url, const std::string& part_path,
                          const std::string& algorithm, const HttpOptions& options,
                          const ByteProgress& progress, const std::atomic<bool>* cancel);

/// Percent-encodes everything except unreserved characters and '/' (for URL paths).
std::string url_encode_path(const std::string& path, bool keep_slash = true);

}  // namespace xcodec::data::download
