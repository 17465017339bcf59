#include <torch/torch.h>

#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/synthetic_speech.h"
#include "support/test_support.h"
#include "xcodec/audio/audio.h"
#include "xcodec/core/error.h"
#include "xcodec/data/prepare/prepare.h"
#include "xcodec/io/safetensors.h"
#include "xcodec/train/checkpoint.h"
#include "xcodec/train/config/training_config.h"
#include "xcodec/train/trainer.h"

namespace xcodec::train {
namespace {

namespace fs = std::filesystem;
using xcodec::testing::TempDir;

std::string prepare_mini(const TempDir& tmp) {
  return xcodec::testing::prepare_synthetic_dataset(tmp.str(), "mini", 4, 1.2);
}

TrainingConfig tiny_config(const std::string& data_dir, const std::string& log_dir, int64_t steps) {
  return load_training_config(
      {"model=tiny", "data_dir=" + data_dir, "dataset.names=[mini]", "log_dir=" + log_dir,
       "train.trainer.max_steps=" + std::to_string(steps), "dataset.min_audio_length=6400",
       "dataset.train.batch_size=2", "dataset.num_workers=1", "train.val_every=0",
       "train.checkpoint_every=0", "train.trainer.log_every=1000", "train.trainer.accelerator=cpu"},
      std::string(XCODEC_SOURCE_DIR) + "/configs");
}

std::map<std::string, torch::Tensor> weights(const std::string& ckpt) {
  std::map<std::string, torch::Tensor> out;
  auto f = io::SafetensorsFile::open(ckpt);
  for (const auto& k : f->keys()) {
    if (k.rfind("optim_", 0) != 0 && k.rfind("rng.", 0) != 0) out[k] = f->tensor(k);
  }
  return out;
}

class TrainerTest : public xcodec::testing::SeededTest {};

TEST_F(TrainerTest, ResumedRunFollowsTheUninterruptedOne) {
  TempDir tmp;
  const std::string data_dir = prepare_mini(tmp);
  const std::string straight = (tmp.path() / "straight").string();
  const std::string halves = (tmp.path() / "halves").string();
  const TrainResult full = run_training(tiny_config(data_dir, straight, 4));
  EXPECT_EQ(full.steps, 4);
  const TrainResult first = run_training(tiny_config(data_dir, halves, 2));
  EXPECT_EQ(first.steps, 2);
  torch::manual_seed(777);  // the resumed process starts from a different RNG state
  const TrainResult second = run_training(tiny_config(data_dir, halves, 4));
  EXPECT_EQ(second.steps_this_run, 2);
  const auto a = weights(full.last_checkpoint);
  const auto b = weights(second.last_checkpoint);
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [k, t] : a) EXPECT_TRUE(t.equal(b.at(k))) << k;
  EXPECT_TRUE(fs::exists(fs::path(straight) / "config.yaml"));
  EXPECT_TRUE(fs::exists(fs::path(straight) / "metrics.jsonl"));
}

TEST_F(TrainerTest, DamagedLastCheckpointFallsBackToThePreviousOne) {
  TempDir tmp;
  const std::string data_dir = prepare_mini(tmp);
  const std::string log = (tmp.path() / "log").string();
  auto cfg = tiny_config(data_dir, log, 2);
  cfg.train.checkpoint_every = 2;
  run_training(cfg);
  ASSERT_TRUE(fs::exists(fs::path(log) / "step=2.ckpt"));
  std::ofstream(fs::path(log) / "last.ckpt", std::ios::trunc) << "torn write";
  cfg.train.trainer.max_steps = 3;
  const TrainResult r = run_training(cfg);
  EXPECT_EQ(r.steps_this_run, 1);  // resumed at step 2 from step=2.ckpt
}

TEST_F(TrainerTest, ExportWritesSelfDescribingInferenceWeights) {
  TempDir tmp;
  const std::string data_dir = prepare_mini(tmp);
  const TrainResult r = run_training(tiny_config(data_dir, (tmp.path() / "log").string(), 1));
  const std::string out = (tmp.path() / "model.safetensors").string();
  export_checkpoint(r.last_checkpoint, out);
  auto f = io::SafetensorsFile::open(out);
  EXPECT_TRUE(f->contains("fc_prior.weight"));
  EXPECT_TRUE(f->contains("generator.quantizer.project_in.weight"));
  EXPECT_FALSE(f->contains("fc_post_s.weight"));  // training-only head dropped
  for (const auto& k : f->keys()) EXPECT_EQ(k.find("discriminator"), std::string::npos) << k;
  EXPECT_EQ(f->metadata().count("xcodec.config"), 1u);
}

// With the adversarial and feature-matching terms off, the discriminators act on nothing: none
// are built, stepped or saved, and the run still resumes.
TEST_F(TrainerTest, ReconstructionOnlyRecipeBuildsNoDiscriminators) {
  TempDir tmp;
  const std::string data_dir = prepare_mini(tmp);
  const std::string log = (tmp.path() / "log").string();
  auto cfg = tiny_config(data_dir, log, 2);
  cfg.train.lambdas.set("adv", 0.0);
  cfg.train.lambdas.set("feat", 0.0);
  const TrainResult r = run_training(cfg);
  EXPECT_EQ(r.steps, 2);
  auto f = io::SafetensorsFile::open(r.last_checkpoint);
  bool has_model = false;
  for (const auto& k : f->keys()) {
    has_model |= k.rfind("model.", 0) == 0;
    EXPECT_EQ(k.find("discriminator"), std::string::npos) << k;
    EXPECT_NE(k.rfind("optim_d", 0), 0u) << k;
  }
  EXPECT_TRUE(has_model);
  cfg.train.trainer.max_steps = 3;
  EXPECT_EQ(run_training(cfg).steps, 3);
  // The GAN recipe (the default) keeps its discriminators.
  const TrainResult gan = run_training(tiny_config(data_dir, (tmp.path() / "gan").string(), 1));
  bool has_disc = false;
  for (const auto& k : io::SafetensorsFile::open(gan.last_checkpoint)->keys())
    has_disc |= k.find("discriminator") != std::string::npos;
  EXPECT_TRUE(has_disc);
}

TEST_F(TrainerTest, AccumulationValidationAndInitFrom) {
  TempDir tmp;
  xcodec::testing::write_synthetic_corpus((tmp.path() / "src").string(), 8, 1.0);
  data::PrepareConfig p;
  p.dataset = "mini";
  p.input_dir = (tmp.path() / "src").string();
  p.output_dir = (tmp.path() / "data").string();
  p.val_fraction = 0.4;  // the stable hash puts some of the 8 files in val
  p.test_fraction = 0.0;
  p.progress = "none";
  data::prepare_dataset(p);
  const std::string data_dir = p.output_dir;
  const fs::path log = tmp.path() / "log";
  auto cfg = tiny_config(data_dir, log.string(), 1);
  cfg.train.trainer.accumulate_grad_batches = 2;
  cfg.train.val_every = 1;
  cfg.train.val_examples = 1;
  const TrainResult r = run_training(cfg);
  EXPECT_EQ(r.steps, 1);
  bool val_logged = false;
  std::ifstream in(log / "metrics.jsonl");
  for (std::string line; std::getline(in, line);)
    val_logged |= line.find("val/codebook_usage") != std::string::npos;
  EXPECT_TRUE(val_logged);
  EXPECT_TRUE(fs::exists(log / "val" / "step=1" / "example_0.wav"));
  // init_from: a new run starts from exported codec weights.
  const std::string exported = (tmp.path() / "init.safetensors").string();
  export_checkpoint(r.last_checkpoint, exported, /*keep_heads=*/true);
  auto cfg2 = tiny_config(data_dir, (tmp.path() / "log2").string(), 1);
  cfg2.init_from = exported;
  const TrainResult r2 = run_training(cfg2);
  EXPECT_EQ(r2.steps, 1);
  // The first step of the new run starts from the trained codec, not from a fresh one.
  auto first = io::SafetensorsFile::open(r.last_checkpoint);
  auto init = io::SafetensorsFile::open(exported);
  EXPECT_TRUE(first->tensor("model.fc_prior.weight").equal(init->tensor("fc_prior.weight")));
}

TEST_F(TrainerTest, ConfigErrorsNameTheKey) {
  TempDir tmp;
  const std::string data_dir = prepare_mini(tmp);
  auto cfg = tiny_config(data_dir, (tmp.path() / "log").string(), 1);
  cfg.dataset.names = {"nope"};
  try {
    run_training(cfg);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'nope' is not registered"), std::string::npos)
        << e.what();
  }
  cfg.dataset.names = {"mini"};
  cfg.dataset.min_audio_length = 1000;
  EXPECT_THROW(run_training(cfg), ConfigError);  // not a multiple of the hop
}

// An absurd learning rate drives the quantizer's input into the flat part of its bound: the
// codes collapse and the run must say so and stop (train.stop_on_collapse), with the health
// figures in metrics.jsonl; with stop_on_collapse=false it warns and finishes.
TEST_F(TrainerTest, CodebookCollapseRaisesTheAlarmAndStops) {
  TempDir tmp;
  const std::string data = prepare_mini(tmp);
  auto collapse_config = [&](const std::string& log_dir) {
    auto cfg = tiny_config(data, log_dir, 60);
    for (WarmupLrConfig* s : {&cfg.train.gen_scheduler, &cfg.train.disc_scheduler}) {
      s->warmup_step = 1;
      s->init_lr = s->max_lr = s->min_lr = 0.05;
    }
    cfg.train.gen_grad_clip = 0;  // nothing to hold the steps back
    cfg.train.trainer.log_every = 5;
    cfg.train.health.patience = 2;
    return cfg;
  };
  const std::string log_dir = (tmp.path() / "log").string();
  try {
    run_training(collapse_config(log_dir));
    FAIL() << "a collapsed run finished without the alarm";
  } catch (const TrainingCollapsed& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("codebook collapse"), std::string::npos) << msg;
    EXPECT_NE(msg.find("learning rate"), std::string::npos) << msg;
    EXPECT_NE(msg.find("last.ckpt"), std::string::npos) << msg;
  }
  EXPECT_TRUE(fs::exists(fs::path(log_dir) / "last.ckpt"));
  std::ifstream jsonl(fs::path(log_dir) / "metrics.jsonl");
  std::string line, last;
  while (std::getline(jsonl, line)) last = line;
  const auto j = nlohmann::json::parse(last);
  for (const char* k : {"health/q0_usage", "health/q0_perplexity", "health/q0_codes_per_utt",
                        "health/q0_saturation", "health/encoder_grad_norm"}) {
    EXPECT_TRUE(j.contains(k)) << k << " missing from " << last;
  }
  EXPECT_LT(j["health/q0_codes_per_utt"].get<double>(), 2.0) << last;

  auto go_on = collapse_config((tmp.path() / "log2").string());
  go_on.train.stop_on_collapse = false;
  go_on.train.trainer.max_steps = 30;
  EXPECT_EQ(run_training(go_on).steps, 30);
}

// The tiny preset's own schedule (max lr 2e-3 after a 10-step warm-up) keeps the codes alive:
// over 200 steps the quantizer never saturates and every interval after the first carries
// several distinct codes per crop, with a live encoder gradient.
TEST_F(TrainerTest, TinyPresetKeepsItsCodesAlive) {
  TempDir tmp;
  const std::string data = prepare_mini(tmp);
  const std::string log_dir = (tmp.path() / "log").string();
  const auto cfg = load_training_config(
      {"model=tiny", "data_dir=" + data, "dataset.names=[mini]", "log_dir=" + log_dir,
       "train.trainer.max_steps=200", "train.trainer.log_every=50", "train.val_every=0",
       "train.checkpoint_every=0", "dataset.num_workers=1", "train.trainer.accelerator=cpu"},
      std::string(XCODEC_SOURCE_DIR) + "/configs");
  ASSERT_EQ(run_training(cfg).steps, 200);  // the alarm (stop_on_collapse) did not stop it
  std::ifstream jsonl(fs::path(log_dir) / "metrics.jsonl");
  std::string line;
  int intervals = 0;
  while (std::getline(jsonl, line)) {
    const auto j = nlohmann::json::parse(line);
    if (!j.contains("health/q0_codes_per_utt") || j["step"].get<int64_t>() < 100) continue;
    ++intervals;
    EXPECT_GT(j["health/q0_codes_per_utt"].get<double>(), 3.0) << line;
    EXPECT_LT(j["health/q0_saturation"].get<double>(), 0.5) << line;
    EXPECT_GT(j["health/encoder_grad_norm"].get<double>(), 0.0) << line;
  }
  EXPECT_EQ(intervals, 3);  // steps 100, 150, 200
}

}  // namespace
}  // namespace xcodec::train
