// DwanCodec through the toolkit, once per quantizer: model=dwan-tiny trains at 24 kHz with the
// original's losses (its reconstruction losses fall), resumes (quantizer state included),
// exports, and the exported file reconstructs exactly the input's length through the public
// API, in one shot and streamed.
#include <torch/torch.h>

#include <algorithm>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/synthetic_speech.h"
#include "support/test_support.h"
#include "xcodec/train/config/training_config.h"
#include "xcodec/train/trainer.h"
#include "xcodec/xcodec.h"

namespace xcodec::train {
namespace {

namespace fs = std::filesystem;
using xcodec::testing::TempDir;

TrainingConfig dwan_config(const std::string& data_dir, const std::string& log_dir,
                           const std::string& quantizer, int64_t steps) {
  return load_training_config(
      {"model=dwan-tiny", "model.quantizer=" + quantizer, "data_dir=" + data_dir,
       "dataset.names=[mini24]", "log_dir=" + log_dir,
       "train.trainer.max_steps=" + std::to_string(steps), "dataset.train.batch_size=2",
       "dataset.num_workers=1", "train.val_every=0", "train.checkpoint_every=0",
       "train.trainer.log_every=5", "train.trainer.accelerator=cpu",
       // Six synthetic harmonic clips are too uniform for the collapse alarm to mean anything
       // in 60 steps (one code can describe them); on real speech every quantizer keeps tens
       // of codes per crop (docs/codecs.md). The alarm itself is tested in training_health.
       "train.stop_on_collapse=false"},
      std::string(XCODEC_SOURCE_DIR) + "/configs");
}

// Mean of `key` over the metrics.jsonl lines of steps in [from, to].
double mean_metric(const std::string& log_dir, const std::string& key, int64_t from, int64_t to) {
  std::ifstream in(fs::path(log_dir) / "metrics.jsonl");
  std::string line;
  double sum = 0;
  int n = 0;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    if (!j.contains(key) || !j[key].is_number()) continue;
    const int64_t step = j["step"].get<int64_t>();
    if (step >= from && step <= to) {
      sum += j[key].get<double>();
      ++n;
    }
  }
  EXPECT_GT(n, 0) << key;
  return n ? sum / n : 0.0;
}

class DwanTraining : public xcodec::testing::SeededTest,
                     public ::testing::WithParamInterface<std::string> {};

TEST_P(DwanTraining, TrainsResumesExportsAndReconstructsTheInputLength) {
  const std::string quantizer = GetParam();
  TempDir tmp;
  const std::string data_dir =
      xcodec::testing::prepare_synthetic_dataset(tmp.str(), "mini24", 6, 1.6, 24000);
  const std::string log_dir = (tmp.path() / "log").string();
  const TrainResult r = run_training(dwan_config(data_dir, log_dir, quantizer, 60));
  EXPECT_EQ(r.steps, 60);
  // Its MR-STFT loss and the mel distance fall. (The waveform L1 is no progress measure this
  // early: a silent output scores better than a louder one with the wrong phase.)
  EXPECT_LT(mean_metric(log_dir, "stft", 50, 60), 0.9 * mean_metric(log_dir, "stft", 1, 10));
  EXPECT_LT(mean_metric(log_dir, "mel", 50, 60), 0.9 * mean_metric(log_dir, "mel", 1, 10));
  // Resume (quantizer state included) and export.
  const TrainResult more = run_training(dwan_config(data_dir, log_dir, quantizer, 65));
  EXPECT_EQ(more.steps_this_run, 5);
  const std::string model = (tmp.path() / "dwan.safetensors").string();
  export_checkpoint(more.last_checkpoint, model);

  auto codec = Codec::load(model);
  EXPECT_EQ(codec->model_name(), "dwan");
  EXPECT_EQ(codec->quantizer_kind(), quantizer);
  EXPECT_EQ(codec->sample_rate(), 24000);
  EXPECT_EQ(codec->hop_length(), 512);
  for (const int rate : {24000, 16000}) {
    // 1.3 s: not a multiple of the hop at either rate.
    const std::vector<float> in = xcodec::testing::synthetic_speech(1.3, 2, rate);
    const std::vector<float> out = codec->reconstruct(in, rate);
    EXPECT_EQ(out.size(), in.size()) << rate;
    const Codes codes = codec->encode(in, rate);
    EXPECT_EQ(codes.num_quantizers, 1);
    EXPECT_GT(codes.frames, 0);
    const std::vector<float> decoded = codec->decode(codes);
    EXPECT_GE(decoded.size(), static_cast<size_t>(1.3 * 24000));
    // Streaming decode (centre-mode ISTFT: one hop fewer than frames x hop) gives the same
    // number of samples, and with unlimited context the same samples.
    auto stream = codec->stream_decoder(/*left_context_frames=*/1000, /*lookahead_frames=*/2);
    std::vector<float> streamed;
    for (int64_t t = 0; t < codes.frames; t += 7) {
      Codes chunk;
      chunk.frames = std::min<int64_t>(7, codes.frames - t);
      chunk.data.assign(codes.data.begin() + t, codes.data.begin() + t + chunk.frames);
      const auto part = stream.push(chunk);
      streamed.insert(streamed.end(), part.begin(), part.end());
    }
    const auto tail = stream.finish();
    streamed.insert(streamed.end(), tail.begin(), tail.end());
    ASSERT_EQ(streamed.size(), decoded.size());
  }
}

INSTANTIATE_TEST_SUITE_P(E2E, DwanTraining, ::testing::Values("fsq", "lfq", "ema", "vq"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace xcodec::train
