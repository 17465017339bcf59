#pragma once
// Shared helpers of the test suite: fixture paths, tensor comparison, temp dirs, seeding.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <filesystem>
#include <string>

namespace xcodec::testing {

/// Root of the reference fixtures: $XCODEC_FIXTURES, else ../shared/fixtures beside the repo.
std::string fixtures_dir();
/// Path of a file under the fixtures root; the test FAILS (does not skip) if it is absent.
std::string fixture_path(const std::string& relative);
/// Loads a fixture .npy (see fixture_path).
torch::Tensor load_fixture(const std::string& relative);
/// Path under tests/data/ of the source tree.
std::string test_data_path(const std::string& relative);
/// Path of the built xcodec program.
std::string cli_path();

/// Compares shapes, then values with |got - want| <= atol + rtol * |want| elementwise; on
/// failure reports the flat index, both values and the largest difference.
::testing::AssertionResult tensors_close(const torch::Tensor& got, const torch::Tensor& want,
                                         double atol, double rtol = 0.0);
#define EXPECT_TENSOR_CLOSE(got, want, atol, rtol) \
  EXPECT_TRUE(::xcodec::testing::tensors_close((got), (want), (atol), (rtol)))

/// A fresh empty directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

/// Base fixture: seeds LibTorch's RNG and pins one intra-op thread, so results are repeatable.
class SeededTest : public ::testing::Test {
 protected:
  void SetUp() override;
};

/// Runs a shell command, returns its exit status and captures stdout+stderr into `output`.
int run_command(const std::string& command, std::string* output = nullptr);

}  // namespace xcodec::testing
