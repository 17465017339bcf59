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
