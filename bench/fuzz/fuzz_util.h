#pragma once
// Shared helpers of the libFuzzer harnesses under bench/fuzz (see docs/fuzzing.md).
//
// Outcome policy: an xcodec::Error (the project's own hierarchy) is the expected answer to bad
// input and is swallowed. Any other exception escaping a reader (c10::Error, YAML::Exception,
// nlohmann::json::exception, std::invalid_argument, ...) is a bug: its message would not name
// the file and key at fault, so the harness prints it and aborts, which libFuzzer records as a
// crash. Sanitizer reports, leaks, timeouts and the RSS limit are reported by libFuzzer itself.
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <string>
#include <typeinfo>
#include <vector>

#include "xcodec/core/error.h"

namespace xcodec::fuzz {

[[noreturn]] inline void die(const std::string& what, const std::string& detail) {
  std::fprintf(stderr, "xcodec-fuzz: %s: %s\n", what.c_str(), detail.c_str());
  std::fflush(stderr);
  std::abort();
}

/// Runs `f`; xcodec::Error is the expected outcome for bad input, any other exception aborts.
template <typename F>
void run_reader(F&& f) {
  try {
    f();
  } catch (const xcodec::Error& e) {
    // Expected: a clear error naming the file and key. XCODEC_FUZZ_VERBOSE=1 prints it.
    static const bool verbose = std::getenv("XCODEC_FUZZ_VERBOSE") != nullptr;
    if (verbose) std::fprintf(stderr, "xcodec-fuzz: rejected: %s\n", e.what());
  } catch (const std::exception& e) {
    die("exception outside the xcodec::Error hierarchy",
        std::string(typeid(e).name()) + ": " + e.what());
  }
}

/// An anonymous in-memory file (memfd) holding a copy of the fuzz input. Path-based readers open
/// it as /proc/self/fd/N: a regular file with no name and no extension, gone when this dies.
class MemFile {
 public:
  MemFile(const void* data, size_t size) {
    fd_ = ::memfd_create("xcodec-fuzz", MFD_CLOEXEC);
    if (fd_ < 0) die("memfd_create", std::strerror(errno));
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
      const ssize_t n = ::write(fd_, p, size);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) die("write to memfd", std::strerror(errno));
      p += n;
      size -= static_cast<size_t>(n);
    }
  }
  explicit MemFile(const std::string& bytes) : MemFile(bytes.data(), bytes.size()) {}
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;

  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_ = -1;
};

/// Splits the input at NUL bytes into at most `max_parts` parts (the last one keeps the rest).
inline std::vector<std::string> split_at_nul(const uint8_t* data, size_t size, size_t max_parts) {
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0 && parts.size() < max_parts) {
      parts.emplace_back();
    } else {
      parts.back() += static_cast<char>(data[i]);
    }
  }
  return parts;
}

/// Whether `s` is well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or > U+10FFFF).
inline bool is_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

/// A private directory, removed at normal exit, for readers that take a folder: under
/// $XCODEC_FUZZ_TMPDIR (run.sh points it into its output folder), else /dev/shm (tmpfs).
class TempDir {
 public:
  explicit TempDir(const char* tag) {
    const char* root = std::getenv("XCODEC_FUZZ_TMPDIR");
    std::string templ = std::string(root && *root ? root : "/dev/shm") + "/xcodec-fuzz-" + tag +
                        "-" + std::to_string(::getpid()) + "-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) die("mkdtemp " + templ, std::strerror(errno));
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace xcodec::fuzz
