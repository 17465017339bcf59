// The training loader reads what `prepare` wrote, whatever the source names were: Latin-1,
// too long, colliding, no extension.
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <string>

#include "support/test_support.h"
#include "xcodec/audio/audio.h"
#include "xcodec/data/loading/audio_dataset.h"
#include "xcodec/data/prepare/prepare.h"
#include "xcodec/data/registry/metadata.h"

namespace xcodec::data {
namespace {

namespace fs = std::filesystem;

// Writes a tone to `path` (through a short name: the writer's temporary name would not fit
// beside a 244-byte name).
void tone(const fs::path& path, double seconds, double freq) {
  fs::create_directories(path.parent_path());
  if (path.filename().string().size() > 200) {
    tone(path.parent_path() / "tone-tmp.wav", seconds, freq);
    fs::rename(path.parent_path() / "tone-tmp.wav", path);
    return;
  }
  audio::Audio a;
  a.sample_rate = 16000;
  a.samples.resize(static_cast<size_t>(std::llround(16000 * seconds)));
  for (size_t i = 0; i < a.samples.size(); ++i) {
    a.samples[i] = 0.3f * static_cast<float>(std::sin(2 * M_PI * freq * double(i) / 16000));
  }
  audio::write_audio(path.string(), a);
}

TEST(PreparedNames, LoaderFindsEveryFileWhateverItsSourceName) {
  xcodec::testing::TempDir dir;
  const fs::path in = dir.path() / "in";
  // Lengths tell the files apart: 0.2 s, 0.3 s, ...
  tone(in / "caf\xE9.wav", 0.2, 440);        // Latin-1
  tone(in / "r\xE9p" / "x.flac", 0.3, 440);  // Latin-1 folder; x.flac + x.oga
  tone(in / "r\xE9p" / "x.oga", 0.4, 440);
  tone(in / (std::string(244, 'z')), 0.5, 440);  // 244 bytes, no extension
  PrepareConfig cfg;
  cfg.dataset = "names";
  cfg.input_dir = in.string();
  cfg.output_dir = (dir.path() / "data").string();
  cfg.jobs = 1;
  cfg.progress = "none";
  cfg.val_fraction = 0.0;
  cfg.test_fraction = 0.0;
  const PrepareResult r = prepare_dataset(cfg);
  ASSERT_EQ(r.usable(), 4);

  const DatasetRegistry reg = DatasetRegistry::load(cfg.output_dir);
  const DatasetPtr ds = make_audio_dataset(reg, "names", Split::kTrain, 16000);
  ASSERT_EQ(ds->size(), 4u);
  std::multiset<int64_t> lengths;
  std::set<std::string> ids;
  for (size_t i = 0; i < ds->size(); ++i) {
    const Example ex = ds->get(i, 0);
    lengths.insert(ex.wav.size(0));
    ids.insert(ex.id);
  }
  EXPECT_EQ(lengths, (std::multiset<int64_t>{3200, 4800, 6400, 8000}));
  EXPECT_TRUE(ids.count("names/caf%E9.wav")) << *ids.begin();
  EXPECT_TRUE(ids.count("names/r%E9p/x.wav"));
  EXPECT_TRUE(ids.count("names/r%E9p/x.oga.wav"));

  // From metadata.json back to the source: each renamed output maps to its original file.
  const DatasetMetadata m = read_metadata(reg.metadata_path("names"));
  ASSERT_EQ(m.renamed.size(), 4u);  // escaped (x3, the folder counts) and shortened
  for (const auto& x : m.renamed) {
    EXPECT_TRUE(fs::is_regular_file(in / x.path)) << x.path;
    EXPECT_TRUE(fs::is_regular_file(fs::path(reg.audio_dir("names")) / x.output)) << x.output;
  }
}

}  // namespace
}  // namespace xcodec::data
