#include <torch/torch.h>
#include <algorithm>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "support/test_support.h"
#include "xcodec/core/error.h"
#include "xcodec/io/atomic_file.h"
#include "xcodec/models/discriminators/discriminators.h"
#include "xcodec/train/config/compose.h"
#include "xcodec/train/config/training_config.h"

namespace xcodec::train {
namespace {

namespace fs = std::filesystem;
using xcodec::testing::TempDir;

// A copy of the shipped configs/ (without the model group, which belongs to the codec) plus
// two stand-in model configs, so these tests exercise the real YAML files.
class TrainingConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path src = fs::path(XCODEC_SOURCE_DIR) / "configs";
    fs::copy_file(src / "config.yaml", dir() / "config.yaml");
    for (const char* group : {"dataset", "train", "discriminator"})
      fs::copy(src / group, dir() / group, fs::copy_options::recursive);
    fs::create_directories(dir() / "model");
    io::write_file_atomic((dir() / "model" / "xcodec2.yaml").string(), "name: big\nhidden: 1024\n");
    io::write_file_atomic((dir() / "model" / "tiny.yaml").string(),
                          "name: tiny\nhidden: 8\nencoder: {ngf: 4}\n");
  }
  fs::path dir() const { return tmp_.path(); }
  TrainingConfig load(const std::vector<std::string>& overrides) {
    return load_training_config(overrides, dir().string());
  }
  // Expects a ConfigError whose message contains every one of `needles`.
  void expect_error(const std::vector<std::string>& overrides,
                    const std::vector<std::string>& needles) {
    try {
      load(overrides);
      ADD_FAILURE() << "no error for " << ::testing::PrintToString(overrides);
    } catch (const ConfigError& e) {
      for (const auto& n : needles)
        EXPECT_NE(std::string(e.what()).find(n), std::string::npos)
            << "'" << n << "' not in: " << e.what();
    }
  }
  TempDir tmp_;
};

TEST_F(TrainingConfigTest, ShippedDefaultsEqualTheStructDefaults) {
  const ComposedConfig composed = compose_config(dir().string(), {"dataset.names=[mini]"});
  EXPECT_EQ(composed.choices.at("model"), "xcodec2");
  EXPECT_EQ(composed.choices.at("discriminator"), "xcodec2");  // ${model}
  EXPECT_EQ(composed.choices.at("dataset"), "default");
  EXPECT_FALSE(composed.tree["defaults"].IsDefined());
  const TrainingConfig c = TrainingConfig::from_yaml(composed.tree);
  TrainingConfig want;
  want.dataset.names = {"mini"};
  want.model = YAML::Load("{name: big, hidden: 1024}");
  // The discriminator group is opaque here; its kind's parser gives the struct defaults.
  want.discriminator = YAML::Clone(c.discriminator);
  EXPECT_TRUE(c == want) << resolved_config_yaml(c);
  models::DiscriminatorsConfig disc;
  disc.from_yaml(c.discriminator);
  EXPECT_TRUE(disc == models::DiscriminatorsConfig{});
  EXPECT_NO_THROW(c.validate());
  // The keys the issue names, with the recipe's values.
  EXPECT_EQ(c.dataset.min_audio_length, 96000);
  EXPECT_EQ(c.train.checkpoint_every, 20000);
  EXPECT_EQ(c.train.lambdas.at("mel"), 15.0);
  EXPECT_EQ(c.train.lambdas.at("semantic"), 5.0);
  EXPECT_EQ(c.train.trainer.precision_kind(), Precision::kFloat32);
  EXPECT_EQ(c.train.gen_optimizer.betas, (std::vector<double>{0.8, 0.9}));
  EXPECT_EQ(c.train.gen_grad_clip, 1.0);
  EXPECT_EQ(c.seed, 1024);
  EXPECT_EQ(c.discriminator["mpd"]["channels"].as<int>(), 16);
  EXPECT_EQ(c.discriminator["mstft"]["channels"].as<int>(), 32);
}

TEST_F(TrainingConfigTest, DottedOverridesReplaceValues) {
  const TrainingConfig c = load(
      {"dataset.names=[librispeech,laion]", "log_dir=./logs/mix16k", "dataset.train.batch_size=32",
       "dataset.weights=[1,3.5]", "train.lambdas.mel=20", "train.trainer.max_steps=40",
       "train.trainer.accumulate_grad_batches=2", "train.trainer.precision=bf16-mixed",
       "train.use_stft_loss=true", "seed=7", "init_from=gen.safetensors", "data_dir=/data",
       "train.gen_scheduler.warmup_step=10", "train.val_every=0"});
  EXPECT_EQ(c.dataset.names, (std::vector<std::string>{"librispeech", "laion"}));
  EXPECT_EQ(c.dataset.weights, (std::vector<double>{1.0, 3.5}));
  EXPECT_EQ(c.dataset.train.batch_size, 32);
  EXPECT_EQ(c.dataset.val.batch_size, 8);
  EXPECT_EQ(c.log_dir, "./logs/mix16k");
  EXPECT_EQ(c.train.lambdas.at("mel"), 20.0);
  EXPECT_EQ(c.train.trainer.max_steps, 40);
  EXPECT_EQ(c.train.trainer.accumulate_grad_batches, 2);
  EXPECT_EQ(c.train.trainer.precision_kind(), Precision::kBFloat16Mixed);
  EXPECT_TRUE(c.train.use_stft_loss);
  EXPECT_EQ(c.seed, 7);
  EXPECT_EQ(c.init_from, "gen.safetensors");
  EXPECT_EQ(c.data_dir, "/data");
  EXPECT_EQ(c.train.gen_scheduler.warmup_step, 10);
  EXPECT_EQ(c.train.disc_scheduler.warmup_step, 3000);
  EXPECT_EQ(c.train.val_every, 0);
  // Later overrides win.
  EXPECT_EQ(load({"dataset.names=[a]", "seed=1", "seed=2"}).seed, 2);
}

TEST_F(TrainingConfigTest, GroupsAreChosenByName) {
  const TrainingConfig tiny = load({"dataset.names=[mini]", "model=tiny"});
  EXPECT_EQ(tiny.model["name"].as<std::string>(), "tiny");
  EXPECT_EQ(tiny.model["encoder"]["ngf"].as<int>(), 4);
  EXPECT_EQ(tiny.discriminator["mpd"]["channels"].as<int>(), 4);  // discriminator follows ${model}
  EXPECT_EQ(tiny.discriminator["mstft"]["max_downsample_channels"].as<int>(), 16);
  ComposedConfig composed;
  const TrainingConfig mixed = load_training_config(
      {"dataset.names=[mini]", "model=tiny", "discriminator=xcodec2"}, dir().string(), &composed);
  EXPECT_EQ(composed.choices.at("model"), "tiny");
  EXPECT_EQ(composed.choices.at("discriminator"), "xcodec2");
  EXPECT_EQ(mixed.discriminator["mpd"]["channels"].as<int>(), 16);
  // The model subtree is opaque but its keys are still checked and can be overridden.
  const TrainingConfig m =
      load({"dataset.names=[mini]", "model=tiny", "model.encoder.ngf=8", "+model.extra=1"});
  EXPECT_EQ(m.model["encoder"]["ngf"].as<int>(), 8);
  EXPECT_EQ(m.model["extra"].as<int>(), 1);
  // A group option written to a new name works without code changes.
  io::write_file_atomic((dir() / "model" / "mine.yaml").string(), "name: mine\n");
  const TrainingConfig mine = load({"dataset.names=[a]", "model=mine", "discriminator=tiny"});
  EXPECT_EQ(mine.model["name"].as<std::string>(), "mine");
}

TEST_F(TrainingConfigTest, UnknownKeysAreErrorsNamingTheKey) {
  expect_error({"dataset.names=[a]", "dataset.train.batchsize=3"},
               {"dataset.train.batchsize", "batch_size"});
  expect_error({"dataset.names=[a]", "trian.lambdas.mel=3"}, {"trian.lambdas.mel", "train"});
  expect_error({"dataset.names=[a]", "train.lambdas.melody=3"}, {"train.lambdas.melody", "mel"});
  expect_error({"dataset.names=[a]", "model.nope=1"}, {"model.nope"});
  expect_error({"dataset.names=[a]", "+seed=3"}, {"seed", "already exists"});
  expect_error({"dataset.names=[a]", "seed"}, {"key=value"});
  // An unknown key inside a YAML file is caught too, with its full path.
  std::ofstream(dir() / "train" / "typo.yaml") << "trainer: {max_stepz: 3}\n";
  expect_error({"dataset.names=[a]", "train=typo"}, {"train.trainer.max_stepz"});
}

TEST_F(TrainingConfigTest, WronglyTypedValuesAreErrorsNamingTheKey) {
  expect_error({"dataset.names=[a]", "dataset.train.batch_size=abc"},
               {"dataset.train.batch_size", "integer"});
  expect_error({"dataset.names=[a]", "dataset.train.batch_size=2.5"}, {"dataset.train.batch_size"});
  expect_error({"dataset.names=[a]", "train.use_mel_loss=maybe"}, {"train.use_mel_loss"});
  expect_error({"dataset.names=[a]", "train.lambdas.mel=high"}, {"train.lambdas.mel", "number"});
  expect_error({"dataset.names=librispeech"}, {"dataset.names", "list"});
  expect_error({"dataset.names=[a]", "train.lambdas=3"}, {"train.lambdas", "mapping"});
  expect_error({"dataset.names=[a]", "dataset.weights=[1,x]"}, {"dataset.weights[1]"});
  expect_error({"dataset.names=[a]", "train.trainer.precision=64"},
               {"train.trainer.precision", "bf16-mixed"});
}

TEST_F(TrainingConfigTest, UnknownGroupOptionsListTheAvailableOnes) {
  expect_error({"dataset.names=[a]", "model=tny"}, {"model", "tny", "tiny", "xcodec2"});
  io::write_file_atomic((dir() / "model" / "mine.yaml").string(), "name: mine\n");
  // discriminator=${model} has no "mine" option: the message says how to pick one.
  expect_error({"dataset.names=[a]", "model=mine"},
               {"discriminator", "mine", "tiny", "xcodec2", "discriminator=NAME"});
}

TEST_F(TrainingConfigTest, AGroupWithoutItsFolderSaysSo) {
  fs::remove_all(dir() / "model");
  expect_error({"dataset.names=[a]", "model=tiny"}, {"model", "tiny", "available: none"});
}

TEST_F(TrainingConfigTest, ValidationNamesTheKey) {
  expect_error({}, {"dataset.names"});
  expect_error({"dataset.names=[a,b]", "dataset.weights=[1]"}, {"dataset.weights"});
  expect_error({"dataset.names=[a]", "dataset.train.batch_size=0"}, {"dataset.train.batch_size"});
  expect_error({"dataset.names=[a]", "train.trainer.max_steps=0"}, {"train.trainer.max_steps"});
  expect_error({"dataset.names=[a]", "train.mel_loss.n_mels=[5]"}, {"train.mel_loss.n_mels"});
}

TEST_F(TrainingConfigTest, ResolvedConfigDumpsAndReloads) {
  TempDir logs;
  const TrainingConfig c =
      load({"dataset.names=[a,b]", "model=tiny", "log_dir=" + logs.str() + "/run",
            "train.lambdas.adv=0.5", "dataset.weights=[0.25,0.75]"});
  const std::string path = save_resolved_config(c, "xcodec train model=tiny\nsecond line");
  EXPECT_EQ(path, logs.str() + "/run/config.yaml");
  const std::string text = io::read_file(path);
  EXPECT_EQ(text.rfind("# xcodec train model=tiny\n# second line\n", 0), 0u) << text;
  const TrainingConfig back = TrainingConfig::from_yaml(YAML::Load(text));
  EXPECT_TRUE(back == c) << text;
  EXPECT_NE(text.find("mel: 15"), std::string::npos) << text;
  EXPECT_NE(text.find("betas: [0.8, 0.9]"), std::string::npos) << text;
}

TEST_F(TrainingConfigTest, InterpolationAndConfigDirLookup) {
  const TrainingConfig c = load({"dataset.names=[a]", "log_dir=./logs/seed${seed}"});
  EXPECT_EQ(c.log_dir, "./logs/seed1024");
  expect_error({"dataset.names=[a]", "log_dir=${nowhere}"}, {"log_dir", "nowhere"});
  setenv("XCODEC_CONFIG_DIR", dir().c_str(), 1);
  EXPECT_EQ(find_config_dir(), dir().string());
  setenv("XCODEC_CONFIG_DIR", (dir() / "missing").c_str(), 1);
  EXPECT_THROW(find_config_dir(), ConfigError);
  unsetenv("XCODEC_CONFIG_DIR");
  const auto options = list_group_options(dir().string(), "discriminator");
  for (const char* name : {"tiny", "xcodec2", "xcodec2-small"})
    EXPECT_NE(std::find(options.begin(), options.end(), name), options.end()) << name;
}

// Found by the fuzz seeds of bench/fuzz/fuzz_config_compose: a primary config without a
// defaults list (or with `defaults: null`) composed to an empty tree, dropping all its keys.
TEST_F(TrainingConfigTest, APrimaryWithoutADefaultsListKeepsItsOwnKeys) {
  io::write_file_atomic((dir() / "flat.yaml").string(),
                        "data_dir: d\nlog_dir: l\nmodel: {name: x}\n");
  const ComposedConfig flat = compose_config(dir().string(), {"data_dir=e"}, "flat");
  EXPECT_EQ(flat.tree["data_dir"].as<std::string>(), "e");
  EXPECT_EQ(flat.tree["log_dir"].as<std::string>(), "l");
  EXPECT_EQ(flat.tree["model"]["name"].as<std::string>(), "x");
  io::write_file_atomic((dir() / "nulled.yaml").string(), "defaults: null\nseed: 3\n");
  EXPECT_EQ(compose_config(dir().string(), {}, "nulled").tree["seed"].as<int>(), 3);
}

// Found by bench/fuzz/fuzz_config_compose: a list or mapping used as a mapping key (`[a]: 1`,
// `? {x: 1}`) or as a group option escaped as YAML::TypedBadConversion from the merge.
TEST_F(TrainingConfigTest, NonScalarKeysAndOptionsAreConfigErrors) {
  auto expect_config_error = [&](const std::string& primary,
                                 const std::vector<std::string>& overrides,
                                 const std::string& needle) {
    io::write_file_atomic((dir() / "odd.yaml").string(), primary);
    try {
      compose_config(dir().string(), overrides, "odd");
      ADD_FAILURE() << "no error for " << primary;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_config_error("seed: 1\n[a, b]: 1\n", {},
                      "line 2, column 1: a mapping key must be a single value, not a list");
  expect_config_error("x: {? {k: v} : 1}\n", {}, "a mapping key must be a single value");
  // A null key (found by the resolved-config round trip): no lookup by name can reach it.
  expect_config_error("x: [4, {~: 8}]\n", {}, "a mapping key must be a single value, not null");
  expect_config_error("x: {y: 1}\n", {"x={[k]: 1}"}, "override 'x={[k]: 1}', line 1");
  expect_config_error("defaults:\n  - model: [tiny, xcodec2]\n", {},
                      "the 'defaults' entry of group 'model' must name one option, not a list");
}

// Found by bench/fuzz/fuzz_config_compose (the resolved-config round trip): yaml-cpp keeps both
// entries of a repeated key, so the struct readers saw the first value and merges the last.
TEST_F(TrainingConfigTest, RepeatedKeysAreConfigErrors) {
  io::write_file_atomic((dir() / "twice.yaml").string(),
                        "seed: 1\ntrain:\n  lambdas: {mel: 1}\n  lambdas: {mel: 2}\n");
  try {
    compose_config(dir().string(), {}, "twice");
    ADD_FAILURE() << "no error for a repeated key";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("line 4, column 3: key 'lambdas' appears twice"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(
      compose_config(dir().string(), {"dataset.names=[a]", "train.lambdas={mel: 1, mel: 2}"}),
      ConfigError);
}

// Found by bench/fuzz/fuzz_config_compose: a group option or override key longer than the file
// system allows escaped as std::filesystem::filesystem_error ("File name too long").
TEST_F(TrainingConfigTest, OverlongNamesAreConfigErrors) {
  const std::string name(300, 'x');
  expect_error({"dataset.names=[a]", "model=" + name}, {"has no option '" + name + "'"});
  expect_error({"dataset.names=[a]", name + "=1"}, {"unknown config key '" + name + "'"});
}

// Aliases are followed by every walk of the tree (merge, clone, dump): an alias inside its own
// anchor recursed without end (stack overflow), and nested aliases expand exponentially.
TEST_F(TrainingConfigTest, AliasCyclesAndBombsAreConfigErrors) {
  io::write_file_atomic((dir() / "cycle.yaml").string(), "data_dir: &x [*x]\n");
  EXPECT_THROW(compose_config(dir().string(), {}, "cycle"), ConfigError);
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'f'; ++c) {
    const std::string prev(1, static_cast<char>(c - 1));
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += (i ? ", *" : "*") + prev;
    bomb += "]\n";
  }
  io::write_file_atomic((dir() / "bomb.yaml").string(), bomb);  // 10^6 values once expanded
  try {
    compose_config(dir().string(), {}, "bomb");
    ADD_FAILURE() << "no error for the alias bomb";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("more than 100000 values"), std::string::npos) << e.what();
  }
  EXPECT_THROW(compose_config(dir().string(), {"dataset.names=&y [*y]"}), ConfigError);
}

// Found by bench/fuzz/fuzz_config_compose (out of memory): `${x}` inside x copied x into itself,
// once more on each resolution pass, and every lookup copied the whole tree.
TEST_F(TrainingConfigTest, SelfReferencesAndReferenceBombsAreConfigErrors) {
  auto expect_config_error = [&](const std::string& primary, const std::string& needle) {
    io::write_file_atomic((dir() / "refs.yaml").string(), primary);
    try {
      compose_config(dir().string(), {}, "refs");
      ADD_FAILURE() << "no error for " << primary;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_config_error("a: {b: 1, c: [{d: '${a}'}]}\n",
                      "config key 'a.c[0].d' refers to '${a}', which contains it");
  expect_config_error("a: x${a}\n", "config key 'a' refers to '${a}', which contains it");
  // Six levels of ten references each: 10^6 values once resolved.
  std::string bomb = "r0: {v: 1}\n";
  for (int level = 1; level <= 6; ++level) {
    bomb += "r" + std::to_string(level) + ": {";
    for (int i = 0; i < 10; ++i)
      bomb += (i ? ", k" : "k") + std::to_string(i) + ": '${r" + std::to_string(level - 1) + "}'";
    bomb += "}\n";
  }
  expect_config_error(bomb, "more than 100000 values");
  // References between siblings and to a parent's other keys still resolve.
  io::write_file_atomic((dir() / "refs.yaml").string(),
                        "a: {b: 1, c: '${a.b}', d: {e: '${a.b}x'}}\nf: ${a.d}\n");
  const ComposedConfig ok = compose_config(dir().string(), {}, "refs");
  EXPECT_EQ(ok.tree["a"]["c"].as<std::string>(), "1");
  EXPECT_EQ(ok.tree["f"]["e"].as<std::string>(), "1x");
}

TEST(MergeYaml, MappingsMergeDeeplyOthersReplace) {
  YAML::Node a = YAML::Load("{x: {y: 1, z: [1, 2]}, w: 3}");
  merge_yaml(a, YAML::Load("{x: {z: [5], q: 2}, v: 4}"));
  EXPECT_EQ(a["x"]["y"].as<int>(), 1);
  EXPECT_EQ(a["x"]["z"].size(), 1u);
  EXPECT_EQ(a["x"]["q"].as<int>(), 2);
  EXPECT_EQ(a["w"].as<int>(), 3);
  EXPECT_EQ(a["v"].as<int>(), 4);
}

}  // namespace
}  // namespace xcodec::train
