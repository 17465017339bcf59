#include "xcodec/data/loading/audio_dataset.h"

#include <torch/torch.h>

#include <filesystem>

#include "xcodec/audio/audio.h"
#include "xcodec/core/error.h"
#include "xcodec/data/registry/split_tsv.h"

namespace xcodec::data {
namespace {

class AudioDataset final : public Dataset {
 public:
  AudioDataset(std::string name, std::string audio_dir, std::vector<SplitEntry> entries,
               int sample_rate)
      : name_(std::move(name)),
        audio_dir_(std::move(audio_dir)),
        entries_(std::move(entries)),
        sample_rate_(sample_rate) {}
  size_t size() const override { return entries_.size(); }
  Example get(size_t index, uint64_t) const override {
    const SplitEntry& e = entries_.at(index);
    const std::string path = (std::filesystem::path(audio_dir_) / e.relative_path).string();
    audio::Audio a = audio::read_audio(path, sample_rate_);
    Example ex;
    ex.wav = torch::from_blob(a.samples.data(), {static_cast<int64_t>(a.samples.size())},
                              torch::kFloat32)
                 .clone();
    ex.id = name_ + "/" + e.relative_path;
    return ex;
  }

 private:
  std::string name_;
  std::string audio_dir_;
  std::vector<SplitEntry> entries_;
  int sample_rate_;
};

}  // namespace

DatasetPtr make_audio_dataset(const DatasetRegistry& registry, const std::string& name, Split split,
                              int sample_rate) {
  if (!registry.contains(name)) {
    std::string known;
    for (const auto& n : registry.names()) known += (known.empty() ? "" : ", ") + n;
    throw ConfigError("dataset.names: '" + name + "' is not registered in " + registry.data_dir() +
                      "/datasets.json (registered: " + (known.empty() ? "none" : known) +
                      "); run `xcodec prepare --dataset " + name + " ...` first");
  }
  return std::make_shared<AudioDataset>(name, registry.audio_dir(name),
                                        read_split_tsv(registry.split_path(name, split)),
                                        sample_rate);
}

DatasetPtr make_corpus(const CorpusOptions& options) {
  const DatasetRegistry registry = DatasetRegistry::load(options.data_dir);
  std::vector<DatasetPtr> parts;
  for (const auto& name : options.names) {
    parts.push_back(make_audio_dataset(registry, name, options.split, options.sample_rate));
  }
  return crop_pad(combine(std::move(parts), options.weights), options.crop_length,
                  options.random_crop, options.crop_align);
}

}  // namespace xcodec::data
