#include "support/test_support.h"

#include <torch/torch.h>

#include <sys/wait.h>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "xcodec/io/npy.h"

namespace xcodec::testing {

std::string fixtures_dir() {
  const char* env = std::getenv("XCODEC_FIXTURES");
  if (env != nullptr && *env != '\0') return env;
  return (std::filesystem::path(XCODEC_SOURCE_DIR) / ".." / "shared" / "fixtures")
      .lexically_normal()
      .string();
}

std::string fixture_path(const std::string& relative) {
  const std::filesystem::path p = std::filesystem::path(fixtures_dir()) / relative;
  if (!std::filesystem::exists(p)) {
    ADD_FAILURE() << "fixture missing: " << p << " (set XCODEC_FIXTURES)";
  }
  return p.string();
}

torch::Tensor load_fixture(const std::string& relative) {
  return io::load_npy(fixture_path(relative));
}

std::string test_data_path(const std::string& relative) {
  return (std::filesystem::path(XCODEC_SOURCE_DIR) / "tests" / "data" / relative).string();
}

std::string cli_path() {
#ifdef XCODEC_CLI_PATH
  return XCODEC_CLI_PATH;
#else
  return "xcodec";
#endif
}

::testing::AssertionResult tensors_close(const torch::Tensor& got, const torch::Tensor& want,
                                         double atol, double rtol) {
  if (got.sizes() != want.sizes()) {
    return ::testing::AssertionFailure()
           << "shape " << got.sizes() << " != expected " << want.sizes();
  }
  const torch::Tensor g = got.detach().to(torch::kCPU, torch::kFloat64).contiguous().flatten();
  const torch::Tensor w = want.detach().to(torch::kCPU, torch::kFloat64).contiguous().flatten();
  if (g.numel() == 0) return ::testing::AssertionSuccess();
  const torch::Tensor diff = (g - w).abs();
  const torch::Tensor bad = diff > (atol + rtol * w.abs());
  const torch::Tensor nonfinite = ~torch::isfinite(g) & torch::isfinite(w);
  const int64_t n_bad = (bad | nonfinite).sum().item<int64_t>();
  const int64_t worst = diff.nan_to_num(1e300).argmax().item<int64_t>();
  if (n_bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << n_bad << " of " << g.numel() << " values differ beyond atol=" << atol
         << " rtol=" << rtol << "; largest |diff| " << diff[worst].item<double>()
         << " at flat index " << worst << " (got " << g[worst].item<double>() << ", want "
         << w[worst].item<double>() << ")";
}

TempDir::TempDir() {
  static std::mt19937_64 rng(std::random_device{}());
  path_ = std::filesystem::temp_directory_path() / ("xcodec-test-" + std::to_string(rng()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void SeededTest::SetUp() {
  torch::manual_seed(1234);
  torch::set_num_threads(1);
}

int run_command(const std::string& command, std::string* output) {
  const std::string full = command + " 2>&1";
  FILE* pipe = ::popen(full.c_str(), "r");
  if (pipe == nullptr) return -1;
  std::array<char, 4096> buf{};
  std::string out;
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  const int status = ::pclose(pipe);
  if (output != nullptr) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace xcodec::testing
