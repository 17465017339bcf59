// `xcodec` is a launcher without LibTorch that gives the inference commands OMP_WAIT_POLICY=
// passive before libgomp loads, then runs xcodec-main (src/cli/launcher/launcher.cpp).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/test_support.h"

namespace {
// `xcodec --log-level debug ARGS` with the wait-policy variables unset (`env` adds some).
std::string run_cli(const std::string& args, const std::string& env = "") {
  std::string out;
  xcodec::testing::run_command("env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT " + env + " " +
                                   xcodec::testing::cli_path() + " --log-level debug " + args +
                                   " 2>&1",
                               &out);
  return out;
}
}  // namespace

TEST(E2ELauncher, LinksNoLibTorchAndRunsTheProgramBesideIt) {
  const std::filesystem::path cli = xcodec::testing::cli_path();
  EXPECT_TRUE(std::filesystem::exists(cli.parent_path() / "xcodec-main"));
  std::string libs;
  ASSERT_EQ(xcodec::testing::run_command("ldd " + cli.string(), &libs), 0);
  EXPECT_EQ(libs.find("torch"), std::string::npos) << libs;
  std::string version;
  ASSERT_EQ(xcodec::testing::run_command(cli.string() + " --version", &version), 0) << version;
  EXPECT_NE(version.find("LibTorch"), std::string::npos) << version;
}

TEST(E2ELauncher, InferenceCommandsGetThePassiveWaitPolicyAndTheUsersSettingWins) {
  // Parsing completes (the line is logged), then the missing input fails the command.
  const std::string args = "decode /nonexistent/codes.npy -o /nonexistent/out.wav";
  const std::string out = run_cli(args);
  EXPECT_NE(out.find("[cli] OMP_WAIT_POLICY=passive"), std::string::npos) << out;
  const std::string user = run_cli(args, "OMP_WAIT_POLICY=active");
  EXPECT_NE(user.find("[cli] OMP_WAIT_POLICY=active"), std::string::npos) << user;
  EXPECT_EQ(run_cli("prepare --help").find("OMP_WAIT_POLICY"), std::string::npos);
}
