// End-to-end data-parallel runs of the xcodec program: two ranks on 127.0.0.1 started by hand
// with nothing but torchrun's variables (their weights must stay identical); a rank killed
// mid-run; the local launcher (--nproc) naming a dead worker.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/synthetic_speech.h"
#include "support/test_support.h"

namespace xcodec::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

std::string prepare_corpus(const TempDir& tmp) {
  write_synthetic_corpus((tmp.path() / "src").string(), 8, 2.0);
  std::string out;
  EXPECT_EQ(run_command(cli_path() + " prepare --dataset mini --input-dir " +
                            (tmp.path() / "src").string() + " --output-dir " +
                            (tmp.path() / "data").string() + " --jobs 2",
                        &out),
            0)
      << out;
  return (tmp.path() / "data").string();
}

std::string train_command(const std::string& data, const fs::path& log, int batch, int steps) {
  // No validation and no mid-run checkpoints: only the final last.ckpt.
  return "XCODEC_CONFIG_DIR=" + std::string(XCODEC_SOURCE_DIR) + "/configs " + cli_path() +
         " train data_dir=" + data + " dataset.names='[mini]' model=tiny log_dir=" + log.string() +
         " dataset.min_audio_length=8000 dataset.train.batch_size=" + std::to_string(batch) +
         " dataset.num_workers=1 train.val_every=0 train.checkpoint_every=0" +
         " train.trainer.log_every=1 train.trainer.max_steps=" + std::to_string(steps);
}

// Only torchrun's variables: rank 0 hosts the TCPStore at MASTER_ADDR:MASTER_PORT.
std::string torchrun_env(int rank, int port) {
  return "env -u XCODEC_RANK -u XCODEC_WORLD_SIZE -u TORCHELASTIC_USE_AGENT_STORE RANK=" +
         std::to_string(rank) + " WORLD_SIZE=2 LOCAL_RANK=" + std::to_string(rank) +
         " LOCAL_WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) + " ";
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(E2EDataParallelCli, TwoRanksFromTorchrunVariablesAloneTrainWithIdenticalWeights) {
  TempDir tmp;
  const std::string data = prepare_corpus(tmp);
  const int steps = 3;
  const int port = free_port();
  const fs::path dp_log = tmp.path() / "dp";
  // Both ranks in the background (the shell waits for both), then one process with batch 2.
  const std::string both = "(" + torchrun_env(0, port) + train_command(data, dp_log, 1, steps) +
                           " > " + (tmp.path() / "r0.txt").string() + " 2>&1; echo $? > " +
                           (tmp.path() / "rc0").string() + ") & (" + torchrun_env(1, port) +
                           train_command(data, dp_log, 1, steps) + " > " +
                           (tmp.path() / "r1.txt").string() + " 2>&1; echo $? > " +
                           (tmp.path() / "rc1").string() + ") & wait";
  ASSERT_EQ(run_command(both), 0);
  const std::string r0 = slurp(tmp.path() / "r0.txt");
  const std::string r1 = slurp(tmp.path() / "r1.txt");
  ASSERT_EQ(slurp(tmp.path() / "rc0"), "0\n") << r0;
  ASSERT_EQ(slurp(tmp.path() / "rc1"), "0\n") << r1;
  // Both ranks compared their weights at the end (the run fails when they differ).
  EXPECT_NE(r0.find("weights identical on all 2 ranks"), std::string::npos) << r0;
  EXPECT_NE(r0.find("global batch 2"), std::string::npos) << r0;

  // Rank 0 alone wrote the checkpoint and the metrics (3 lines, one per step).
  EXPECT_TRUE(fs::exists(dp_log / "last.ckpt"));
  std::ifstream metrics(dp_log / "metrics.jsonl");
  int lines = 0;
  for (std::string line; std::getline(metrics, line);) ++lines;
  EXPECT_EQ(lines, steps);
  // Equality with one process of batch 2 is checked on a dropout-free model in
  // GradientReducer.TwoRanksOverTcpEqualOneProcessWithTheWholeBatch: the tiny codec's decoder
  // draws dropout masks from each process's own random stream.
}

TEST(E2EDataParallelCli, KillingOneRankStopsTheOtherNamingIt) {
  TempDir tmp;
  const std::string data = prepare_corpus(tmp);
  const int port = free_port();
  const fs::path log = tmp.path() / "log";
  const fs::path pid1 = tmp.path() / "pid1";
  const std::string cmd =
      "(" + torchrun_env(0, port) + train_command(data, log, 1, 100000) + " > " +
      (tmp.path() / "r0.txt").string() + " 2>&1; echo $? > " + (tmp.path() / "rc0").string() +
      ") > /dev/null 2>&1 & (" + torchrun_env(1, port) + train_command(data, log, 1, 100000) +
      " > /dev/null 2>&1 & echo $! > " + pid1.string() + "; wait) > /dev/null 2>&1 &";
  ASSERT_EQ(run_command(cmd), 0);
  const fs::path metrics = log / "metrics.jsonl";
  for (int i = 0; i < 600 && !(fs::exists(metrics) && fs::file_size(metrics) > 200); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(fs::exists(metrics)) << slurp(tmp.path() / "r0.txt");
  int pid = 0;
  std::ifstream(pid1) >> pid;
  ASSERT_GT(pid, 0);
  ::kill(pid, SIGKILL);
  const auto killed = Clock::now();
  while (!fs::exists(tmp.path() / "rc0") && Clock::now() - killed < std::chrono::seconds(75))
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const double took = std::chrono::duration<double>(Clock::now() - killed).count();
  const std::string r0 = slurp(tmp.path() / "r0.txt");
  ASSERT_TRUE(fs::exists(tmp.path() / "rc0")) << "rank 0 still running after " << took << " s\n"
                                              << r0;
  EXPECT_NE(slurp(tmp.path() / "rc0"), "0\n") << r0;
  EXPECT_LT(took, 60.0) << r0;
  EXPECT_NE(r0.find("lost rank(s) 1"), std::string::npos) << r0;
}

TEST(E2EDataParallelCli, LauncherStopsTheOthersWhenAWorkerDiesAndNamesIt) {
  TempDir tmp;
  const std::string data = prepare_corpus(tmp);
  const fs::path log = tmp.path() / "log";
  const fs::path out = tmp.path() / "out.txt";
  const std::string cmd = "(" + train_command(data, log, 1, 100000) + " --nproc 2 > " +
                          out.string() + " 2>&1; echo $? > " + (tmp.path() / "rc").string() +
                          ") > /dev/null 2>&1 &";
  ASSERT_EQ(run_command(cmd), 0);
  const fs::path metrics = log / "metrics.jsonl";
  for (int i = 0; i < 600 && !(fs::exists(metrics) && fs::file_size(metrics) > 200); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(fs::exists(metrics)) << slurp(out);
  // The rank-1 worker: a child of the launcher with RANK=1 in its environment.
  std::string pid;
  run_command("for p in $(pgrep -f 'log_dir=" + log.string() +
                  "'); do tr '\\0' '\\n' < /proc/$p/environ 2>/dev/null | grep -qx RANK=1 && "
                  "echo $p; done",
              &pid);
  ASSERT_FALSE(pid.empty()) << slurp(out);
  ::kill(std::stoi(pid), SIGKILL);
  const auto killed = Clock::now();
  while (!fs::exists(tmp.path() / "rc") && Clock::now() - killed < std::chrono::seconds(75))
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const std::string text = slurp(out);
  ASSERT_TRUE(fs::exists(tmp.path() / "rc")) << text;
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - killed).count(), 60.0);
  EXPECT_NE(slurp(tmp.path() / "rc"), "0\n") << text;
  EXPECT_NE(text.find("rank 1 (pid " + pid.substr(0, pid.find('\n')) + ") was killed by signal 9"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace xcodec::testing
