// `xcodec encode` of a folder under a launcher: two ranks (RANK/WORLD_SIZE set, as torchrun
// sets them) split the files; together they write what one process writes, no file twice.
#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <set>

#include "support/synthetic_speech.h"
#include "support/test_support.h"
#include "xcodec/audio/audio.h"
#include "xcodec/data/prepare/prepare.h"
#include "xcodec/io/npy.h"
#include "xcodec/train/config/training_config.h"
#include "xcodec/train/trainer.h"

namespace xcodec {
namespace {

namespace fs = std::filesystem;
using xcodec::testing::run_command;
using xcodec::testing::TempDir;

std::map<std::string, torch::Tensor> read_tree(const fs::path& root) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) out[fs::relative(e.path(), root).string()] = io::load_npy(e.path());
  return out;
}

TEST(E2EEncodeRanks, TwoRanksSplitAFolderAndTogetherEqualOneProcess) {
  TempDir tmp;
  xcodec::testing::write_synthetic_corpus((tmp.path() / "src").string(), 3, 1.0);
  data::PrepareConfig p;
  p.dataset = "mini";
  p.input_dir = (tmp.path() / "src").string();
  p.output_dir = (tmp.path() / "data").string();
  p.val_fraction = p.test_fraction = 0.0;
  p.progress = "none";
  data::prepare_dataset(p);
  const auto cfg = train::load_training_config(
      {"model=tiny", "data_dir=" + p.output_dir, "dataset.names=[mini]",
       "log_dir=" + (tmp.path() / "log").string(), "train.trainer.max_steps=1",
       "dataset.min_audio_length=6400", "dataset.train.batch_size=2", "train.val_every=0",
       "train.trainer.accelerator=cpu"},
      std::string(XCODEC_SOURCE_DIR) + "/configs");
  const std::string model = (tmp.path() / "tiny.safetensors").string();
  train::export_checkpoint(train::run_training(cfg).last_checkpoint, model);

  const fs::path in = tmp.path() / "in";
  for (int i = 0; i < 7; ++i) {
    audio::Audio a;
    a.sample_rate = 16000;
    a.samples = xcodec::testing::synthetic_speech(0.3 + 0.1 * i, i + 1);
    fs::create_directories(in / (i % 2 ? "odd" : "even"));
    audio::write_audio(
        (in / (i % 2 ? "odd" : "even") / ("f" + std::to_string(i) + ".wav")).string(), a);
  }
  const std::string cli = xcodec::testing::cli_path();
  auto encode = [&](const std::string& env, const fs::path& out, std::string* text) {
    return run_command("env -u RANK -u WORLD_SIZE -u SLURM_PROCID -u SLURM_NTASKS " + env + " " +
                           cli + " encode " + in.string() + " -o " + out.string() + " -m " + model +
                           " --progress none",
                       text);
  };
  std::string one_text, r0, r1, again;
  ASSERT_EQ(encode("", tmp.path() / "one", &one_text), 0) << one_text;
  ASSERT_EQ(encode("RANK=0 WORLD_SIZE=2 LOCAL_RANK=0", tmp.path() / "r0", &r0), 0) << r0;
  ASSERT_EQ(encode("RANK=1 WORLD_SIZE=2 LOCAL_RANK=1", tmp.path() / "r1", &r1), 0) << r1;
  const auto one = read_tree(tmp.path() / "one");
  const auto a = read_tree(tmp.path() / "r0");
  const auto b = read_tree(tmp.path() / "r1");
  EXPECT_EQ(one.size(), 7u);
  EXPECT_EQ(a.size(), 4u);  // items 0, 2, 4, 6 of the sorted list
  EXPECT_EQ(b.size(), 3u);
  for (const auto& [name, codes] : a) {
    EXPECT_EQ(b.count(name), 0u) << name << " encoded by both ranks";
    ASSERT_EQ(one.count(name), 1u) << name;
    EXPECT_TRUE(torch::equal(codes, one.at(name))) << name;
  }
  for (const auto& [name, codes] : b) {
    ASSERT_EQ(one.count(name), 1u) << name;
    EXPECT_TRUE(torch::equal(codes, one.at(name))) << name;
  }
  // Both ranks into one folder, then a re-run: each rank finds its own share done.
  ASSERT_EQ(encode("RANK=0 WORLD_SIZE=2", tmp.path() / "both", &r0), 0) << r0;
  ASSERT_EQ(encode("RANK=1 WORLD_SIZE=2", tmp.path() / "both", &r1), 0) << r1;
  EXPECT_EQ(read_tree(tmp.path() / "both").size(), 7u);
  ASSERT_EQ(encode("RANK=1 WORLD_SIZE=2", tmp.path() / "both", &again), 0) << again;
  EXPECT_NE(again.find("0 written, 3 already present"), std::string::npos) << again;
}

}  // namespace
}  // namespace xcodec
