#include "data/download/http_client.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "data/download/digest.h"
#include "xcodec/core/logging.h"

namespace xcodec::data::download {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* s) const { curl_slist_free_all(s); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

// Settings shared by every request.
CurlPtr make_handle(const std::string& url, const HttpOptions& o, curl_slist* headers) {
  global_init();
  CurlPtr h(curl_easy_init());
  if (!h) throw HttpError("cannot start a transfer for " + url + " (curl_easy_init)", false);
  curl_easy_setopt(h.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(h.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h.get(), CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(h.get(), CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(h.get(), CURLOPT_USERAGENT, "xcodec-download/1");
  curl_easy_setopt(h.get(), CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(o.connect_timeout_s * 1000));
  // A stalled connection (less than 1 byte/s for stall_timeout_s) is a failed, retried try.
  curl_easy_setopt(h.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h.get(), CURLOPT_LOW_SPEED_TIME,
                   std::max(1L, static_cast<long>(o.stall_timeout_s)));
  curl_easy_setopt(h.get(), CURLOPT_HTTPHEADER, headers);
  return h;
}

SlistPtr header_list(const std::vector<std::string>& headers) {
  curl_slist* s = nullptr;
  for (const auto& line : headers) s = curl_slist_append(s, line.c_str());
  return SlistPtr(s);
}

bool transient_status(long status) { return status == 408 || status == 429 || status >= 500; }

std::string describe_status(long status) {
  switch (status) {
    case 401:
      return "HTTP 401 Unauthorized (set HF_TOKEN for gated or private data)";
    case 403:
      return "HTTP 403 Forbidden";
    case 404:
      return "HTTP 404 Not Found";
    case 416:
      return "HTTP 416 Range Not Satisfiable";
    default:
      return "HTTP " + std::to_string(status);
  }
}

// Seconds to wait before try number `attempt` (1 = first retry): exponential, capped, jittered
// by +-25 % so that parallel jobs that failed together do not retry in lockstep.
double backoff_s(const HttpOptions& o, int attempt) {
  thread_local std::mt19937 rng(std::random_device{}());
  const double base = std::min(60.0, o.retry_delay_s * std::pow(2.0, attempt - 1));
  return base * std::uniform_real_distribution<double>(0.75, 1.25)(rng);
}

void sleep_s(double s) {
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int64_t>(s * 1000)));
}

// Collects the headers of the last response (a redirect chain gives several).
size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::string line(data, size * n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (line.rfind("HTTP/", 0) == 0) {
    headers->clear();
  } else if (const size_t colon = line.find(':'); colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t start = colon + 1;
    while (start < line.size() && line[start] == ' ') ++start;
    (*headers)[name] = line.substr(start);
  }
  return size * n;
}

size_t on_text(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

// State of one file transfer, shared with the curl callbacks.
struct Transfer {
  CURL* curl = nullptr;
  int fd = -1;
  std::string part_path;
  int64_t offset = 0;    // bytes in the file
  int64_t start = 0;     // bytes in the file when this try started
  int64_t total = -1;    // size of the whole file when known
  bool checked = false;  // the response status of this try was looked at
  bool discard = false;  // an error response: its body is not file content
  long status = 0;
  int write_errno = 0;
  std::unique_ptr<Hasher> hasher;
  std::string algorithm;
  const ByteProgress* progress = nullptr;
  const std::atomic<bool>* cancel = nullptr;
};

void restart_file(Transfer& t) {
  if (::ftruncate(t.fd, 0) != 0 || ::lseek(t.fd, 0, SEEK_SET) != 0) {
    t.write_errno = errno;
    return;
  }
  t.offset = 0;
  t.hasher = std::make_unique<Hasher>(t.algorithm);
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const size_t bytes = size * n;
  if (!t.checked) {
    t.checked = true;
    curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &t.status);
    curl_off_t length = -1;
    curl_easy_getinfo(t.curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    if (t.status == 200) {
      // The server ignored the Range request: start the file over.
      if (t.offset > 0) {
        XCODEC_LOG_DEBUG("[download] server ignored the range request; restarting " << t.part_path);
        restart_file(t);
        if (t.write_errno != 0) return 0;
      }
      t.total = length >= 0 ? length : -1;
    } else if (t.status == 206) {
      t.total = length >= 0 ? t.offset + length : -1;
    } else {
      t.discard = true;
    }
  }
  if (t.discard) return bytes;
  size_t done = 0;
  while (done < bytes) {
    const ssize_t w = ::write(t.fd, data + done, bytes - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      t.write_errno = errno;
      return 0;  // makes curl fail with CURLE_WRITE_ERROR
    }
    // Hash only what reached the file, so file and digest always agree for a resume.
    t.hasher->update(data + done, static_cast<size_t>(w));
    done += static_cast<size_t>(w);
    t.offset += w;
  }
  if (t.progress && *t.progress) (*t.progress)(t.offset, t.total);
  return bytes;
}

int on_xfer(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto& t = *static_cast<Transfer*>(user);
  return t.cancel && t.cancel->load() ? 1 : 0;
}

// Hashes the bytes a partial file already holds (the digest covers the whole file).
void hash_existing(Transfer& t) {
  std::vector<char> buf(1 << 20);
  int64_t left = t.offset;
  if (::lseek(t.fd, 0, SEEK_SET) != 0) throw IoError("cannot read '" + t.part_path + "'");
  while (left > 0) {
    const ssize_t r =
        ::read(t.fd, buf.data(),
               static_cast<size_t>(std::min<int64_t>(left, static_cast<int64_t>(buf.size()))));
    if (r <= 0) throw IoError("cannot read '" + t.part_path + "': " + std::strerror(errno));
    t.hasher->update(buf.data(), static_cast<size_t>(r));
    left -= r;
  }
  ::lseek(t.fd, 0, SEEK_END);
}

}  // namespace

std::string url_encode_path(const std::string& path, bool keep_slash) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : path) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

HttpText http_get_text(const std::string& url, const HttpOptions& o) {
  const SlistPtr headers = header_list(o.headers);
  for (int attempt = 0;; ++attempt) {
    HttpText r;
    CurlPtr h = make_handle(url, o, headers.get());
    curl_easy_setopt(h.get(), CURLOPT_WRITEFUNCTION, on_text);
    curl_easy_setopt(h.get(), CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(h.get(), CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h.get(), CURLOPT_HEADERDATA, &r.headers);
    const CURLcode rc = curl_easy_perform(h.get());
    curl_easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &r.status);
    bool transient = true;
    std::string why;
    if (rc != CURLE_OK) {
      why = curl_easy_strerror(rc);
    } else if (r.status >= 400) {
      transient = transient_status(r.status);
      why = describe_status(r.status);
    } else {
      return r;
    }
    if (!transient || attempt >= o.retries) {
      throw HttpError("GET " + url + " failed: " + why +
                          (attempt > 0 ? " (after " + std::to_string(attempt + 1) + " tries)" : ""),
                      transient, r.status);
    }
    const double wait = backoff_s(o, attempt + 1);
    XCODEC_LOG_WARN("[download] GET " << url << ": " << why << "; retrying in " << wait << " s");
    sleep_s(wait);
  }
}

FetchResult fetch_to_file(const std::string& url, const std::string& part_path,
                          const std::string& algorithm, const HttpOptions& o,
                          const ByteProgress& progress, const std::atomic<bool>* cancel) {
  Transfer t;
  t.part_path = part_path;
  t.algorithm = algorithm;
  t.hasher = std::make_unique<Hasher>(algorithm);
  t.progress = &progress;
  t.cancel = cancel;
  t.fd = ::open(part_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (t.fd < 0) throw IoError("cannot write '" + part_path + "': " + std::strerror(errno));
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{t.fd};
  struct stat st {};
  ::fstat(t.fd, &st);
  t.offset = st.st_size;
  hash_existing(t);

  FetchResult result;
  result.resumed_at = t.offset;
  const SlistPtr headers = header_list(o.headers);
  int failures = 0;  // failed tries in a row that brought no new byte
  for (;;) {
    ++result.attempts;
    t.start = t.offset;
    t.checked = false;
    t.discard = false;
    t.status = 0;
    CurlPtr h = make_handle(url, o, headers.get());
    t.curl = h.get();
    std::map<std::string, std::string> response_headers;
    curl_easy_setopt(h.get(), CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h.get(), CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(h.get(), CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h.get(), CURLOPT_HEADERDATA, &response_headers);
    curl_easy_setopt(h.get(), CURLOPT_XFERINFOFUNCTION, on_xfer);
    curl_easy_setopt(h.get(), CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(h.get(), CURLOPT_NOPROGRESS, 0L);
    // 512 KiB receive buffer (default 16 KiB): fewer write()s and hash calls per byte.
    curl_easy_setopt(h.get(), CURLOPT_BUFFERSIZE, 512L * 1024);
    // CURLOPT_RANGE rather than RESUME_FROM: a server that ignores the range answers 200 with
    // the whole file, which on_body then takes from the start instead of failing the try.
    const std::string range = std::to_string(t.offset) + "-";
    if (t.offset > 0) curl_easy_setopt(h.get(), CURLOPT_RANGE, range.c_str());
    const CURLcode rc = curl_easy_perform(h.get());
    if (!t.checked) curl_easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &t.status);
    t.curl = nullptr;

    if (t.write_errno != 0) {
      const std::string reason =
          t.write_errno == ENOSPC ? "disk full" : std::strerror(t.write_errno);
      throw IoError("cannot write '" + part_path + "' (downloading " + url + "): " + reason + "; " +
                    std::to_string(t.offset) + " bytes kept for a later resume");
    }
    if (cancel && cancel->load()) throw HttpError("download of " + url + " cancelled", false);
    bool transient = true;
    std::string why;
    if (t.status == 416 && t.offset > 0) {
      // The range starts at or past the end: the file may already be complete.
      const auto it = response_headers.find("content-range");
      const std::string cr = it == response_headers.end() ? "" : it->second;
      const size_t slash = cr.rfind('/');
      if (slash != std::string::npos && cr.substr(slash + 1) == std::to_string(t.offset)) break;
      XCODEC_LOG_WARN("[download] " << part_path << " is longer than " << url
                                    << " serves; starting it over");
      restart_file(t);
      continue;
    }
    if (rc == CURLE_OK && (t.status == 200 || t.status == 206)) {
      if (t.total >= 0 && t.offset != t.total) {
        why =
            "transfer ended at byte " + std::to_string(t.offset) + " of " + std::to_string(t.total);
      } else {
        break;
      }
    } else if (rc == CURLE_OK && t.status == 204 && t.offset == 0) {
      break;  // an empty file
    } else if (t.status >= 400 || (rc == CURLE_OK && t.status != 0)) {
      transient = transient_status(t.status);
      why = describe_status(t.status);
    } else {
      why = curl_easy_strerror(rc);
    }
    if (t.offset > t.start) failures = 0;  // progress was made: the budget starts again
    ++failures;
    if (!transient || failures > o.retries) {
      throw HttpError(
          "download of " + url + " failed: " + why +
              (result.attempts > 1 ? " (after " + std::to_string(result.attempts) + " tries)" : ""),
          transient, t.status);
    }
    const double wait = backoff_s(o, failures);
    XCODEC_LOG_INFO("[download] " << url << ": " << why << " at byte " << t.offset
                                  << "; resuming in " << wait << " s (try " << failures + 1
                                  << " of " << o.retries + 1 << ")");
    sleep_s(wait);
  }
  if (::fsync(t.fd) != 0 && errno != EINVAL) {
    throw IoError("cannot write '" + part_path + "': " + std::strerror(errno));
  }
  result.size = t.offset;
  result.digest = t.hasher->hex();
  return result;
}

}  // namespace xcodec::data::download
