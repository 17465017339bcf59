// End-to-end: the example command line on a freshly prepared corpus.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/synthetic_speech.h"
#include "support/test_support.h"

namespace xcodec::testing {
namespace {

namespace fs = std::filesystem;

std::string prepare_cli_corpus(const TempDir& tmp) {
  write_synthetic_corpus((tmp.path() / "src").string(), 6, 3.0);
  std::string out;
  const std::string cmd = cli_path() + " prepare --dataset mini --input-dir " +
                          (tmp.path() / "src").string() + " --output-dir " +
                          (tmp.path() / "data").string() + " --jobs 2";
  EXPECT_EQ(run_command(cmd, &out), 0) << out;
  return (tmp.path() / "data").string();
}

std::vector<double> mel_curve(const fs::path& jsonl) {
  std::vector<double> mel;
  std::ifstream in(jsonl);
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line);
    if (j.contains("mel") && j["mel"].is_number()) mel.push_back(j["mel"].get<double>());
  }
  return mel;
}

TEST(E2ETrainCli, TinyRunLowersTheMelLossAndExports) {
  TempDir tmp;
  const std::string data = prepare_cli_corpus(tmp);
  const fs::path log = tmp.path() / "log";
  std::string out;
  const std::string cmd = "XCODEC_CONFIG_DIR=" + std::string(XCODEC_SOURCE_DIR) + "/configs " +
                          cli_path() + " train data_dir=" + data +
                          " dataset.names='[mini]' model=tiny log_dir=" + log.string() +
                          " train.trainer.max_steps=40 train.trainer.log_every=1";
  ASSERT_EQ(run_command(cmd, &out), 0) << out;
  const auto mel = mel_curve(log / "metrics.jsonl");
  ASSERT_GE(mel.size(), 40u) << out;
  const double first = (mel[0] + mel[1] + mel[2] + mel[3] + mel[4]) / 5;
  const double last = (mel[mel.size() - 1] + mel[mel.size() - 2] + mel[mel.size() - 3] +
                       mel[mel.size() - 4] + mel[mel.size() - 5]) /
                      5;
  EXPECT_LT(last, 0.8 * first) << "mel loss " << first << " -> " << last;
  EXPECT_TRUE(fs::exists(log / "last.ckpt"));
  EXPECT_TRUE(fs::exists(log / "config.yaml"));
  bool events = false;
  for (const auto& e : fs::directory_iterator(log))
    events |= e.path().filename().string().rfind("events.out.tfevents", 0) == 0;
  EXPECT_TRUE(events);
  const std::string exported = (tmp.path() / "model.safetensors").string();
  ASSERT_EQ(
      run_command(cli_path() + " export " + (log / "last.ckpt").string() + " -o " + exported, &out),
      0)
      << out;
  EXPECT_TRUE(fs::exists(exported));
}

TEST(E2ETrainCli, SigtermFinishesTheStepWritesLastCheckpointAndExitsZero) {
  TempDir tmp;
  const std::string data = prepare_cli_corpus(tmp);
  const fs::path log = tmp.path() / "log";
  const fs::path pidfile = tmp.path() / "pid";
  // Start in the background, wait for the first metrics line, then SIGTERM.
  const std::string cmd =
      "(XCODEC_CONFIG_DIR=" + std::string(XCODEC_SOURCE_DIR) + "/configs " + cli_path() +
      " train data_dir=" + data + " dataset.names='[mini]' model=tiny log_dir=" + log.string() +
      " dataset.min_audio_length=16000 train.trainer.max_steps=100000 train.trainer.log_every=1" +
      " > " + (tmp.path() / "out.txt").string() + " 2>&1 & echo $! > " + pidfile.string() +
      "; wait $!; echo $? > " + (tmp.path() / "rc").string() + ") > /dev/null 2>&1 &";
  ASSERT_EQ(run_command(cmd), 0);
  for (int i = 0;
       i < 600 && !(fs::exists(log / "metrics.jsonl") && fs::file_size(log / "metrics.jsonl") > 0);
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(fs::exists(log / "metrics.jsonl"));
  int pid = 0;
  std::ifstream(pidfile) >> pid;
  ASSERT_GT(pid, 0);
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 600 && !fs::exists(tmp.path() / "rc"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  int rc = -1;
  std::ifstream(tmp.path() / "rc") >> rc;
  std::string out_text;
  run_command("cat " + (tmp.path() / "out.txt").string(), &out_text);
  EXPECT_EQ(rc, 0) << out_text;
  EXPECT_TRUE(fs::exists(log / "last.ckpt")) << out_text;
  EXPECT_NE(out_text.find("stopped at step"), std::string::npos) << out_text;
}

TEST(E2ETrainCli, DataParallelOnTwoProcessesTrainsAndCheckpoints) {
  TempDir tmp;
  const std::string data = prepare_cli_corpus(tmp);
  const fs::path log = tmp.path() / "log";
  std::string out;
  const std::string cmd =
      "XCODEC_CONFIG_DIR=" + std::string(XCODEC_SOURCE_DIR) + "/configs " + cli_path() +
      " train data_dir=" + data + " dataset.names='[mini]' model=tiny log_dir=" + log.string() +
      " train.trainer.max_steps=3 train.trainer.devices=2 dataset.train.batch_size=2" +
      " train.trainer.log_every=1";
  ASSERT_EQ(run_command(cmd, &out), 0) << out;
  EXPECT_NE(out.find("started 2 ranks"), std::string::npos) << out;
  EXPECT_NE(out.find("finished at step 3"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(log / "last.ckpt"));
  EXPECT_EQ(mel_curve(log / "metrics.jsonl").size(), 3u);  // rank 0 alone logs
}

}  // namespace
}  // namespace xcodec::testing
