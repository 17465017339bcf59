#include "xcodec/train/feature_cache.h"

#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "xcodec/audio/audio.h"
#include "xcodec/audio/seamless_fbank.h"
#include "xcodec/core/error.h"
#include "xcodec/core/logging.h"
#include "xcodec/core/signals.h"
#include "xcodec/data/registry/registry.h"
#include "xcodec/data/registry/split_tsv.h"
#include "xcodec/io/atomic_file.h"
#include "xcodec/io/npy.h"
#include "xcodec/models/semantic/semantic_teacher.h"

namespace xcodec::train {
namespace fs = std::filesystem;

std::string feature_cache_dir(const data::DatasetRegistry& registry, const std::string& dataset,
                              int64_t layer) {
  return (fs::path(registry.dataset_dir(dataset)) / "features" / ("layer" + std::to_string(layer)))
      .string();
}

namespace {
std::string cache_file(const std::string& dir, const std::string& relative_path) {
  return (fs::path(dir) / (relative_path + ".npy")).string();
}
}  // namespace

FeatureCacheReport build_feature_cache(const FeatureCacheOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const auto registry = data::DatasetRegistry::load(options.data_dir);
  const auto& entry = registry.entry(options.dataset);
  if (entry.sample_rate != models::SemanticTeacher::kSampleRate) {
    throw ConfigError("dataset '" + options.dataset + "' is prepared at " +
                      std::to_string(entry.sample_rate) +
                      " Hz; the w2v-BERT teacher needs 16000 Hz");
  }
  models::SemanticTeacherOptions topts;
  topts.layer = options.layer;
  topts.device = torch::Device(options.device);
  const auto teacher = models::SemanticTeacher::load(options.teacher, topts);

  FeatureCacheReport report;
  report.cache_dir = feature_cache_dir(registry, options.dataset, options.layer);
  fs::create_directories(report.cache_dir);
  nlohmann::json meta;
  meta["teacher"] = fs::absolute(options.teacher).string();
  meta["teacher_config_hash"] = std::to_string(std::hash<std::string>{}(
      io::read_file((fs::path(options.teacher) / "config.json").string())));
  meta["layer"] = options.layer;
  meta["hidden_size"] = teacher->hidden_size();
  meta["hop_length"] = models::SemanticTeacher::kHop;
  meta["sample_rate"] = models::SemanticTeacher::kSampleRate;
  io::write_file_atomic((fs::path(report.cache_dir) / "cache.json").string(), meta.dump(2) + "\n");

  std::vector<data::SplitEntry> all;
  for (auto split : {data::Split::kTrain, data::Split::kVal, data::Split::kTest}) {
    const std::string tsv = registry.split_path(options.dataset, split);
    if (!fs::exists(tsv)) continue;
    auto part = data::read_split_tsv(tsv);
    all.insert(all.end(), part.begin(), part.end());
  }
  const std::string audio_dir = registry.audio_dir(options.dataset);
  torch::InferenceMode guard;
  int64_t done = 0;
  auto last_report = std::chrono::steady_clock::now();
  for (const auto& e : all) {
    if (stop_requested()) throw Interrupted("features: interrupted; run again to resume");
    ++done;
    const std::string out = cache_file(report.cache_dir, e.relative_path);
    if (fs::exists(out)) {
      ++report.existing;
      continue;
    }
    try {
      const auto a = audio::read_audio((fs::path(audio_dir) / e.relative_path).string(), 16000);
      torch::Tensor wav =
          torch::from_blob(const_cast<float*>(a.samples.data()),
                           {1, static_cast<int64_t>(a.samples.size())}, torch::kFloat32);
      const torch::Tensor hidden =
          teacher->hidden(audio::xcodec2_pad_to_hop(wav))[0].to(torch::kCPU, torch::kFloat32);
      fs::create_directories(fs::path(out).parent_path());
      io::save_npy(out, hidden);
      ++report.computed;
      report.audio_seconds += a.duration_s();
    } catch (const Error& err) {
      ++report.failed;
      XCODEC_LOG_WARN("[features] skipping " << e.relative_path << ": " << err.what());
    }
    if (std::chrono::steady_clock::now() - last_report > std::chrono::seconds(10)) {
      last_report = std::chrono::steady_clock::now();
      XCODEC_LOG_INFO("[features] " << done << "/" << all.size() << " files");
    }
  }
  report.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

std::shared_ptr<const FeatureCache> FeatureCache::open(const data::DatasetRegistry& registry,
                                                       const std::string& dataset, int64_t layer,
                                                       int64_t hidden_size) {
  const std::string dir = feature_cache_dir(registry, dataset, layer);
  const fs::path meta_path = fs::path(dir) / "cache.json";
  if (!fs::exists(meta_path)) return nullptr;
  try {
    const auto meta = nlohmann::json::parse(io::read_file(meta_path.string()));
    if (meta.at("layer").get<int64_t>() != layer ||
        meta.at("hidden_size").get<int64_t>() != hidden_size)
      return nullptr;
  } catch (const std::exception& e) {
    XCODEC_LOG_WARN("[features] ignoring damaged " << meta_path.string() << ": " << e.what());
    return nullptr;
  }
  auto cache = std::make_shared<FeatureCache>();
  cache->dir_ = dir;
  return cache;
}

std::optional<torch::Tensor> FeatureCache::frames(const std::string& relative_path,
                                                  int64_t start_frame, int64_t num_frames) const {
  const std::string path = cache_file(dir_, relative_path);
  if (!fs::exists(path)) return std::nullopt;
  try {
    torch::Tensor all = io::load_npy(path);
    if (all.dim() != 2 || start_frame < 0 || start_frame + num_frames > all.size(0))
      return std::nullopt;
    return all.narrow(0, start_frame, num_frames).to(torch::kFloat32).contiguous();
  } catch (const Error& e) {
    XCODEC_LOG_WARN("[features] unreadable cache file " << path << ": " << e.what());
    return std::nullopt;
  }
}

}  // namespace xcodec::train
