// MD5 and SHA-256 against the published test vectors (RFC 1321 appendix A.5, FIPS 180-2).
#include "data/download/digest.h"

#include <gtest/gtest.h>

#include <string>

#include "data/download/download_test_util.h"
#include "xcodec/core/error.h"

namespace xcodec::data::download {
namespace {

std::string md5(const std::string& s) {
  Md5 m;
  m.update(s.data(), s.size());
  return m.hex();
}

std::string sha256(const std::string& s) {
  Sha256 h;
  h.update(s.data(), s.size());
  return h.hex();
}

TEST(DownloadDigest, Md5TestVectors) {
  EXPECT_EQ(md5(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(md5("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(md5("12345678901234567890123456789012345678901234567890123456789012345678901234567890"),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(DownloadDigest, Sha256TestVectors) {
  EXPECT_EQ(sha256(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(DownloadDigest, PiecewiseEqualsWhole) {
  const std::string data = testing::pattern_bytes(100003);
  Md5 m;
  Sha256 s;
  for (size_t at = 0, step = 1; at < data.size(); at += step, step = step * 3 % 1000 + 1) {
    const size_t n = std::min(step, data.size() - at);
    m.update(data.data() + at, n);
    s.update(data.data() + at, n);
  }
  EXPECT_EQ(m.hex(), md5(data));
  EXPECT_EQ(s.hex(), sha256(data));
}

TEST(DownloadDigest, ChecksumParsing) {
  EXPECT_EQ(Checksum::parse("D41D8CD98F00B204E9800998ECF8427E").to_string(),
            "md5:d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Checksum::parse("").to_string(), "");
  EXPECT_EQ(Checksum::parse(std::string(64, 'a')).algorithm, "sha256");
  EXPECT_THROW(Checksum::parse("md5:abc"), ConfigError);
  EXPECT_THROW(Checksum::parse("xyz"), ConfigError);
}

}  // namespace
}  // namespace xcodec::data::download
