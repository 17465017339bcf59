#include <cstring>
#include <filesystem>

#include "support/test_support.h"
#include "xcodec/io/atomic_file.h"
#include "xcodec/io/tensorboard_writer.h"

namespace xcodec::io {
namespace {

TEST(TensorBoard, Crc32cKnownAnswer) {
  EXPECT_EQ(crc32c("123456789", 9), 0xe3069283u);  // the standard CRC-32C check value
}

TEST(TensorBoard, RecordsAreFramedWithValidChecksums) {
  xcodec::testing::TempDir dir;
  std::string path;
  {
    TensorBoardWriter w(dir.str());
    w.add_scalar("train/mel_loss", 1.5, 10);
    w.add_audio("val/recon", std::vector<float>(160, 0.25f), 16000, 10);
    w.flush();
    path = w.path();
  }
  const std::string bytes = read_file(path);
  size_t pos = 0;
  int records = 0;
  bool saw_tag = false;
  while (pos < bytes.size()) {
    ASSERT_LE(pos + 12, bytes.size());
    uint64_t len = 0;
    std::memcpy(&len, bytes.data() + pos, 8);
    ASSERT_LE(pos + 12 + len + 4, bytes.size());
    uint32_t data_crc = 0;
    std::memcpy(&data_crc, bytes.data() + pos + 12 + len, 4);
    const uint32_t crc = crc32c(bytes.data() + pos + 12, len);
    EXPECT_EQ(data_crc, ((crc >> 15) | (crc << 17)) + 0xa282ead8u);
    saw_tag |= bytes.substr(pos + 12, len).find("train/mel_loss") != std::string::npos;
    pos += 12 + len + 4;
    ++records;
  }
  EXPECT_EQ(records, 3);  // file version + scalar + audio
  EXPECT_TRUE(saw_tag);
}

TEST(TensorBoard, WavImageHasTheRightHeader) {
  const std::string w = wav_bytes({0.0f, 1.0f, -2.0f}, 16000);
  ASSERT_EQ(w.size(), 44u + 6u);
  EXPECT_EQ(w.substr(0, 4), "RIFF");
  EXPECT_EQ(w.substr(8, 8), "WAVEfmt ");
  int16_t s[3];
  std::memcpy(s, w.data() + 44, 6);
  EXPECT_EQ(s[1], 32767);
  EXPECT_EQ(s[2], -32767);  // clipped
}

}  // namespace
}  // namespace xcodec::io
