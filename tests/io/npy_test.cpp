#include <torch/torch.h>

#include <fstream>

#include "support/test_support.h"
#include "xcodec/core/error.h"
#include "xcodec/io/npy.h"

namespace xcodec::io {
namespace {

using xcodec::testing::TempDir;

TEST(Npy, RoundTripsEveryDtype) {
  TempDir dir;
  for (auto type : {torch::kFloat32, torch::kFloat64, torch::kInt64, torch::kInt32, torch::kInt16,
                    torch::kUInt8}) {
    const torch::Tensor t = (torch::arange(24) - 3).reshape({2, 3, 4}).to(type);
    const std::string path = (dir.path() / "a.npy").string();
    save_npy(path, t);
    const torch::Tensor back = load_npy(path);
    EXPECT_EQ(back.scalar_type(), type);
    EXPECT_TRUE(back.equal(t)) << c10::toString(type);
  }
}

TEST(Npy, OneDimensionalAndScalarShapes) {
  const torch::Tensor v = torch::arange(5, torch::kInt32);
  EXPECT_TRUE(parse_npy(to_npy(v), "v").equal(v));
  const std::string bytes = to_npy(v);
  EXPECT_NE(bytes.find("(5,)"), std::string::npos);  // Python's spelling of a 1-tuple
  EXPECT_EQ((bytes.find('\n') + 1) % 64, 0u);        // header padded to 64 bytes
  const torch::Tensor s = torch::tensor(2.5);
  EXPECT_EQ(parse_npy(to_npy(s), "s").dim(), 0);
}

TEST(Npy, ReadsTheFixtureCodes) {
  const torch::Tensor codes = xcodec::testing::load_fixture("xcodec2-small/codes.npy");
  EXPECT_EQ(codes.scalar_type(), torch::kInt64);
  EXPECT_EQ(codes.dim(), 3);
  EXPECT_GE(codes.min().item<int64_t>(), 0);
  EXPECT_LT(codes.max().item<int64_t>(), 65536);
}

TEST(Npy, RejectsMalformedFiles) {
  const std::string good = to_npy(torch::ones({4, 4}));
  EXPECT_THROW(parse_npy("", "empty"), IoError);
  EXPECT_THROW(parse_npy("hello world, not numpy", "text"), IoError);
  EXPECT_THROW(parse_npy(good.substr(0, good.size() - 3), "truncated"), IoError);
  EXPECT_THROW(parse_npy(good + "xx", "trailing"), IoError);
  std::string fortran = good;
  fortran.replace(fortran.find("False"), 5, "True ");
  EXPECT_THROW(parse_npy(fortran, "fortran"), IoError);
  std::string big_endian = good;
  big_endian.replace(big_endian.find("<f4"), 3, ">f4");
  EXPECT_THROW(parse_npy(big_endian, "big-endian"), IoError);
  std::string huge = good;
  huge.replace(huge.find("(4, 4)"), 6, "(9999999999999999, 4)");
  EXPECT_THROW(parse_npy(huge, "huge"), IoError);
  std::string bad_len = good;
  bad_len[8] = '\xff';
  bad_len[9] = '\xff';
  EXPECT_THROW(parse_npy(bad_len, "bad header length"), IoError);
}

// A format 2.0 image (u32 header length) with header `dict` and `data_bytes` zero bytes.
std::string npy_with_header(const std::string& dict, size_t data_bytes) {
  std::string out("\x93NUMPY\x02\x00", 8);
  for (int i = 0; i < 4; ++i) out += static_cast<char>((dict.size() >> (8 * i)) & 0xff);
  return out + dict + std::string(data_bytes, '\0');
}

void expect_npy_error(const std::string& bytes, const std::string& needle) {
  try {
    parse_npy(bytes, "hostile.npy");
    ADD_FAILURE() << "no error, expected '" << needle << "'";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

// Found with bench/fuzz/fuzz_npy: the std::regex header parser recursed once per character and
// overflowed the stack on a long header; a shape whose element count wraps around 2^64 passed
// the size check (LibTorch then threw c10::Error); a negative dimension was read as positive.
TEST(Npy, HostileHeadersAreIoErrors) {
  const std::string tail = "', 'fortran_order': False, 'shape': (1,), }";
  expect_npy_error(npy_with_header("{'descr': '" + std::string(900000, 'x') + tail, 4),
                   "unsupported .npy dtype");
  std::string many_dims = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (int i = 0; i < 300000; ++i) many_dims += "1, ";
  expect_npy_error(npy_with_header(many_dims + "), }", 4), "absurd .npy rank");
  expect_npy_error(
      npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, "
                      "16777216), }",
                      0),
      "absurd .npy size");
  expect_npy_error(
      npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }", 12),
      "malformed .npy shape");
  expect_npy_error(
      npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (3 4), }", 48),
      "malformed .npy shape");
  // Spacing and trailing commas as numpy writes them still read.
  const torch::Tensor t = parse_npy(
      npy_with_header("{'descr':'<i2' , 'fortran_order' :False,'shape':( 2 ,3 , ) }\n", 12), "ok");
  EXPECT_EQ(t.sizes(), (std::vector<int64_t>{2, 3}));
}

TEST(Npy, MissingFileNamesThePath) {
  try {
    load_npy("/nonexistent/file.npy");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/file.npy"), std::string::npos);
  }
}

}  // namespace
}  // namespace xcodec::io
