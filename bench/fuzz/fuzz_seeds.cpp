// Writes the seed corpora of the fuzz harnesses with the project's own writers, so no binary
// seed is committed: fuzz_seeds OUT_DIR creates OUT_DIR/<harness>/<seed> for every harness
// (audio seeds beyond WAV/FLAC are made from these by bench/fuzz/run.sh with ffmpeg).
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "fuzz_checkpoint_module.h"
#include "xcodec/audio/audio.h"
#include "xcodec/data/registry/metadata.h"
#include "xcodec/data/registry/registry.h"
#include "xcodec/data/registry/split_tsv.h"
#include "xcodec/io/atomic_file.h"
#include "xcodec/io/npy.h"
#include "xcodec/io/safetensors.h"
#include "xcodec/io/yaml_fields.h"
#include "xcodec/train/checkpoint.h"
#include "xcodec/train/config/compose.h"

namespace {

namespace fs = std::filesystem;
using namespace xcodec;

fs::path g_out;

void put(const std::string& harness, const std::string& name, const std::string& bytes) {
  const fs::path dir = g_out / harness;
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

std::string prefixed(char selector, const std::string& bytes) {
  return std::string(1, selector) + bytes;
}

void safetensors_seeds() {
  put("safetensors", "empty", io::to_safetensors({}));
  put("safetensors", "dtypes",
      io::to_safetensors({{"f32", torch::randn({2, 3})},
                          {"f16", torch::randn({4}).to(torch::kFloat16)},
                          {"bf16", torch::randn({2, 2}).to(torch::kBFloat16)},
                          {"f64", torch::randn({1}).to(torch::kFloat64)},
                          {"i64", torch::arange(3)},
                          {"i32", torch::arange(2, torch::kInt32)},
                          {"i16", torch::arange(2, torch::kInt16)},
                          {"i8", torch::arange(2, torch::kInt8)},
                          {"u8", torch::arange(2, torch::kUInt8)},
                          {"bool", torch::ones({2}, torch::kBool)}},
                         {{"format", "pt"}, {"xcodec.model", "xcodec2"}}));
  put("safetensors", "shapes",
      io::to_safetensors({{"scalar", torch::tensor(1.5f)},
                          {"empty", torch::zeros({0, 3})},
                          {"rank4", torch::randn({1, 2, 1, 2})}}));
}

void npy_seeds() {
  put("npy", "codes_i32", io::to_npy(torch::arange(12, torch::kInt32).reshape({1, 12})));
  put("npy", "f32_2d", io::to_npy(torch::randn({3, 4})));
  put("npy", "f64_scalar", io::to_npy(torch::tensor(2.0, torch::kFloat64)));
  put("npy", "f16_1d", io::to_npy(torch::randn({5}).to(torch::kFloat16)));
  put("npy", "i64_empty", io::to_npy(torch::zeros({0, 2}, torch::kInt64)));
  put("npy", "u8_3d", io::to_npy(torch::arange(8, torch::kUInt8).reshape({2, 2, 2})));
  put("npy", "bool", io::to_npy(torch::ones({3}, torch::kBool)));
  // numpy's own 2.0 header variant (u32 length) of a small int16 array.
  std::string v1 = io::to_npy(torch::arange(4, torch::kInt16));
  const uint16_t len = static_cast<uint8_t>(v1[8]) | (static_cast<uint8_t>(v1[9]) << 8);
  std::string v2 = v1.substr(0, 6) + std::string("\x02\x00", 2);
  for (int i = 0; i < 4; ++i) v2 += static_cast<char>(i < 2 ? (len >> (8 * i)) & 0xff : 0);
  v2 += v1.substr(10);
  put("npy", "i16_v2", v2);
}

void audio_seeds(const fs::path& tmp) {
  struct Spec {
    const char* name;
    int rate;
    audio::AudioFileFormat format;
  };
  const Spec specs[] = {{"tone_8k.wav", 8000, audio::kWav16},
                        {"tone_16k_float.wav", 16000, audio::kWavFloat},
                        {"tone_22k.flac", 22050, audio::kFlac16}};
  for (const Spec& s : specs) {
    audio::Audio a;
    a.sample_rate = s.rate;
    a.samples.resize(static_cast<size_t>(s.rate / 20));  // 50 ms
    for (size_t i = 0; i < a.samples.size(); ++i)
      a.samples[i] = 0.5f * std::sin(2.0f * 3.14159265f * 440.0f * i / s.rate);
    const fs::path path = tmp / s.name;
    audio::write_audio(path.string(), a, s.format);
    put("audio_decoder", s.name, io::read_file(path.string()));
  }
}

void compose_seeds(const std::string& config_dir) {
  // A run needs a dataset name; every seed composes and validates.
  const std::string names = std::string(1, '\0') + "dataset.names=[mini]";
  const std::string primary = io::read_file((fs::path(config_dir) / "config.yaml").string());
  put("config_compose", "primary", primary + names);
  put("config_compose", "primary_tiny", primary + names + std::string(1, '\0') + "model=tiny");
  // At most 8 overrides per input (fuzz_config_compose.cpp), the names above included.
  const std::string overrides[] = {"model=xcodec2-small",
                                   "train.trainer.max_steps=5",
                                   "dataset.weights=[1.0]",
                                   "+model.extra.key=1",
                                   "init_from=null",
                                   "train.lambdas.mel=1e-3",
                                   "seed=7"};
  std::string all = primary + names;
  for (const std::string& o : overrides) all += '\0' + o;
  put("config_compose", "primary_overrides", all);
  // The whole composed tree inline (no defaults list): every struct key in one file.
  const train::ComposedConfig composed =
      train::compose_config(config_dir, {"model=tiny", "dataset.names=[mini, other]"});
  put("config_compose", "inline_tree", io::emit_yaml(composed.tree));
  put("config_compose", "interpolation",
      "defaults:\n  - model: tiny\n  - discriminator: ${model}\n  - train: default\n"
      "  - dataset: default\n  - _self_\n"
      "dataset: {names: [mini]}\ndata_dir: ${log_dir}/data\nlog_dir: ./logs\nseed: 3\n"
      "init_from: null\n");
}

void checkpoint_seeds(const fs::path& tmp) {
  torch::manual_seed(0);
  fuzz::CheckpointModel m = fuzz::make_checkpoint_model();
  fuzz::train_step(m);
  train::CheckpointWriter w;
  w.add_module("model.", *m.module);
  w.add_optimizer("optim.", *m.optimizer, *m.module);
  w.add_rng_state();
  w.set_metadata("step", "1");
  w.set_metadata("epoch", "0");
  const fs::path full = tmp / "full.ckpt";
  w.save(full.string());
  put("checkpoint", "full", io::read_file(full.string()));

  train::CheckpointWriter weights_only;
  weights_only.add_module("model.", *m.module);
  const fs::path weights = tmp / "weights.ckpt";
  weights_only.save(weights.string());
  put("checkpoint", "weights_only", io::read_file(weights.string()));
}

void registry_seeds(const fs::path& tmp) {
  // Selector byte (see fuzz_registry.cpp): 0 datasets.json, 1 metadata.json, 2 split list.
  const fs::path data = tmp / "data";
  data::DatasetEntry e;
  e.name = "mini";
  e.path = "processed/mini";
  e.sample_rate = 16000;
  e.audio_format = "wav";
  e.stats.train_samples = 10;
  e.stats.val_samples = 1;
  e.stats.train_hours = 0.01;
  data::DatasetRegistry::update(data.string(), e);
  e.name = "other.set_2";
  e.path = "/abs/processed/other";
  e.audio_format = "flac";
  data::DatasetRegistry::update(data.string(), e);
  put("registry", "registry",
      prefixed('\0', io::read_file((data / data::DatasetRegistry::kFileName).string())));

  data::DatasetMetadata m;
  m.name = "mini";
  m.sample_rate = 16000;
  m.audio_format = "wav";
  m.source_dir = "/src";
  m.created = "2024-01-01T00:00:00Z";
  m.updated = m.created;
  m.xcodec_version = "0.1.0";
  m.val_fraction = 0.01;
  m.test_fraction = 0.01;
  m.max_seconds = 30;
  m.splits[0] = {10, 160000, 0.0277};
  m.skipped.push_back({"bad.wav", "empty file"});
  const fs::path meta = tmp / "metadata.json";
  data::write_metadata(meta.string(), m);
  put("registry", "metadata", prefixed('\1', io::read_file(meta.string())));

  const fs::path tsv = tmp / "train.tsv";
  data::write_split_tsv(tsv.string(), {{"a/b.wav", 16000}, {"c d.flac", 0}, {"e.wav", 123456}});
  put("registry", "split", prefixed('\2', io::read_file(tsv.string())));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: fuzz_seeds OUT_DIR CONFIG_DIR\n";
    return 2;
  }
  try {
    g_out = argv[1];
    const fs::path tmp = g_out / ".tmp";
    fs::remove_all(tmp);
    fs::create_directories(tmp);
    safetensors_seeds();
    npy_seeds();
    audio_seeds(tmp);
    compose_seeds(argv[2]);
    checkpoint_seeds(tmp);
    registry_seeds(tmp);
    fs::remove_all(tmp);
  } catch (const std::exception& e) {
    std::cerr << "fuzz_seeds: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
