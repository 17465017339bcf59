#pragma once
// Private: MD5 (RFC 1321) and SHA-256 (FIPS 180-4), incremental, for checking downloads against
// published sums. Own code because neither libcurl nor libarchive exports a hash API and the
// library links no crypto library of its own.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace xcodec::data::download {

/// MD5, fed in pieces: update() any number of times, then hex() once.
class Md5 {
 public:
  Md5();
  void update(const void* data, size_t size);
  /// Lower-case 32-digit hex of the digest; ends the computation.
  std::string hex();

 private:
  void block(const uint8_t* p);
  std::array<uint32_t, 4> h_;
  std::array<uint8_t, 64> buf_{};
  uint64_t total_ = 0;
};

/// SHA-256, same interface as Md5.
class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  /// Lower-case 64-digit hex of the digest; ends the computation.
  std::string hex();

 private:
  void block(const uint8_t* p);
  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buf_{};
  uint64_t total_ = 0;
};

/// A checksum to verify: "md5:<32 hex>" or "sha256:<64 hex>" (the form the state file stores).
struct Checksum {
  std::string algorithm;  // "md5", "sha256", or empty for none
  std::string hex;        // lower-case digest

  bool empty() const { return algorithm.empty(); }
  std::string to_string() const { return empty() ? "" : algorithm + ":" + hex; }
  /// Accepts "md5:…", "sha256:…" or a bare 32/64-digit hex digest; "" gives an empty checksum.
  /// Throws ConfigError on anything else.
  static Checksum parse(const std::string& text);
};

/// Computes the algorithm of a Checksum incrementally.
class Hasher {
 public:
  explicit Hasher(const std::string& algorithm);  // "", "md5" or "sha256"
  void update(const void* data, size_t size);
  std::string hex();  // "" when the algorithm is ""

 private:
  std::string algorithm_;
  Md5 md5_;
  Sha256 sha256_;
};

/// Digest of a whole file (read in 1 MiB blocks); throws IoError naming the file.
std::string file_digest(const std::string& path, const std::string& algorithm);

}  // namespace xcodec::data::download
