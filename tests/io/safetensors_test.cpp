#include <torch/torch.h>

#include <fstream>

#include "support/test_support.h"
#include "xcodec/core/error.h"
#include "xcodec/io/atomic_file.h"
#include "xcodec/io/safetensors.h"

namespace xcodec::io {
namespace {

using xcodec::testing::TempDir;

std::string write_bytes(const TempDir& dir, const std::string& bytes) {
  const std::string path = (dir.path() / "x.safetensors").string();
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string with_header(const std::string& json, size_t data_bytes) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((json.size() >> (8 * i)) & 0xff);
  return out + json + std::string(data_bytes, '\0');
}

TEST(Safetensors, RoundTripsDtypesShapesAndMetadata) {
  TempDir dir;
  const std::string path = (dir.path() / "m.safetensors").string();
  std::vector<std::pair<std::string, torch::Tensor>> tensors = {
      {"a.weight", torch::randn({3, 4})},
      {"b.half", torch::randn({5}).to(torch::kFloat16)},
      {"c.bf16", torch::randn({2, 2}).to(torch::kBFloat16)},
      {"d.long", torch::arange(7)},
      {"e.int", torch::arange(3, torch::kInt32)},
      {"f.empty", torch::zeros({0, 3})},
  };
  save_safetensors(path, tensors, {{"format", "xcodec"}, {"version", "1"}});
  auto file = SafetensorsFile::open(path);
  EXPECT_EQ(file->keys().size(), tensors.size());
  EXPECT_EQ(file->metadata().at("format"), "xcodec");
  for (const auto& [name, t] : tensors) {
    const torch::Tensor back = file->tensor(name);
    EXPECT_EQ(back.scalar_type(), t.scalar_type()) << name;
    EXPECT_TRUE(back.equal(t)) << name;
  }
  EXPECT_THROW(file->tensor("missing"), IoError);
}

TEST(Safetensors, MappedTensorsUseTheFilesPagesAndNeverWriteTheFile) {
  TempDir dir;
  const std::string path = (dir.path() / "m.safetensors").string();
  const torch::Tensor w = torch::randn({64, 32});
  save_safetensors(path, {{"w", w}, {"n", torch::arange(5)}});
  torch::Tensor mapped;
  {
    auto file = SafetensorsFile::open(path);
    mapped = file->mapped_tensor("w");
    EXPECT_TRUE(mapped.equal(w));
    EXPECT_EQ(mapped.data_ptr(), file->mapped_tensor("w").data_ptr()) << "not a copy";
    EXPECT_NE(mapped.data_ptr(), file->tensor("w").data_ptr());
    EXPECT_TRUE(file->mapped_tensor("n").equal(torch::arange(5)));
  }
  // The tensor keeps the mapping alive after the file object is gone; a write stays private.
  EXPECT_TRUE(mapped.equal(w));
  mapped.mul_(2);
  EXPECT_TRUE(SafetensorsFile::open(path)->tensor("w").equal(w)) << "the file changed";
}

TEST(Safetensors, AMisalignedTensorIsCopiedInsteadOfMapped) {
  TempDir dir;
  // One byte of u8, then a float32 at data offset 1: not 4-byte aligned in the mapping.
  std::string json = R"({"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                     R"("f":{"dtype":"F32","shape":[1],"data_offsets":[1,5]}})";
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string bytes = with_header(json, 0);
  const float value = 1.5f;
  bytes += '\x07';
  bytes.append(reinterpret_cast<const char*>(&value), sizeof value);
  const auto file = SafetensorsFile::open(write_bytes(dir, bytes));
  const torch::Tensor f = file->mapped_tensor("f");
  EXPECT_EQ(reinterpret_cast<uintptr_t>(f.data_ptr()) % alignof(float), 0u);
  EXPECT_FLOAT_EQ(f.item<float>(), 1.5f);
  EXPECT_EQ(file->mapped_tensor("b").item<uint8_t>(), 7);
}

TEST(Safetensors, ReadsTheFixtureModel) {
  auto file =
      SafetensorsFile::open(xcodec::testing::fixture_path("xcodec2-small/model.safetensors"));
  EXPECT_EQ(file->keys().size(), 328u);
  EXPECT_TRUE(file->contains("generator.quantizer.project_in.weight"));
}

TEST(Safetensors, RejectsHostileFiles) {
  TempDir dir;
  EXPECT_THROW(SafetensorsFile::open(write_bytes(dir, "")), IoError);
  EXPECT_THROW(SafetensorsFile::open(write_bytes(dir, "1234")), IoError);
  // header length far beyond the file
  EXPECT_THROW(SafetensorsFile::open(
                   write_bytes(dir, std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8) + "{}")),
               IoError);
  EXPECT_THROW(SafetensorsFile::open(write_bytes(dir, with_header("not json", 0))), IoError);
  EXPECT_THROW(SafetensorsFile::open(write_bytes(dir, with_header("[1,2]", 0))), IoError);
  // offsets past the data section
  EXPECT_THROW(
      SafetensorsFile::open(write_bytes(
          dir, with_header(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8))),
      IoError);
  // size disagrees with shape
  EXPECT_THROW(
      SafetensorsFile::open(write_bytes(
          dir, with_header(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}})", 16))),
      IoError);
  // negative dimension, unknown dtype, begin > end, overflowing shape
  EXPECT_THROW(
      SafetensorsFile::open(write_bytes(
          dir, with_header(R"({"w":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}})", 16))),
      IoError);
  EXPECT_THROW(
      SafetensorsFile::open(write_bytes(
          dir, with_header(R"({"w":{"dtype":"Q4","shape":[4],"data_offsets":[0,16]}})", 16))),
      IoError);
  EXPECT_THROW(
      SafetensorsFile::open(write_bytes(
          dir, with_header(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[16,0]}})", 16))),
      IoError);
  EXPECT_THROW(
      SafetensorsFile::open(write_bytes(
          dir, with_header(
                   R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}})",
                   16))),
      IoError);
  // overlapping tensors
  EXPECT_THROW(SafetensorsFile::open(write_bytes(
                   dir, with_header(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                                    R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
                                    16))),
               IoError);
  // a well-formed one still opens
  EXPECT_NO_THROW(SafetensorsFile::open(write_bytes(
      dir, with_header(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 16))));
}

// Found by review with bench/fuzz/fuzz_safetensors: beside a 0 dimension any other size passed
// the element-count check, and one beyond int64 reached LibTorch as a negative size, so
// tensor() threw c10::Error instead of open() an IoError.
TEST(Safetensors, AHugeDimensionBesideAZeroIsAnIoError) {
  TempDir dir;
  for (const char* shape :
       {"[0,18446744073709551615]", "[0,9223372036854775808]", "[281474976710657,0]"}) {
    const std::string header =
        std::string(R"({"w":{"dtype":"F32","shape":)") + shape + R"(,"data_offsets":[0,0]}})";
    try {
      SafetensorsFile::open(write_bytes(dir, with_header(header, 0)));
      ADD_FAILURE() << "no error for shape " << shape;
    } catch (const IoError& e) {
      EXPECT_NE(std::string(e.what()).find("tensor 'w' has an absurd shape"), std::string::npos)
          << e.what();
    }
  }
  // Empty tensors with ordinary shapes still read.
  const auto file = SafetensorsFile::open(write_bytes(
      dir, with_header(R"({"w":{"dtype":"F32","shape":[0,65536],"data_offsets":[0,0]}})", 0)));
  EXPECT_EQ(file->tensor("w").sizes(), (std::vector<int64_t>{0, 65536}));
}

TEST(Safetensors, WriterNeverLeavesAPartialFile) {
  TempDir dir;
  const std::string path = (dir.path() / "out.safetensors").string();
  EXPECT_THROW(save_safetensors(path, {{"a", torch::ones(2)}, {"a", torch::ones(2)}}), IoError);
  EXPECT_FALSE(std::filesystem::exists(path));
  write_file_atomic(path, "x");
  EXPECT_EQ(read_file(path), "x");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

}  // namespace
}  // namespace xcodec::io
