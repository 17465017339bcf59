// The inference API and commands on a tiny model trained for one step (random teacher inside).
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/synthetic_speech.h"
#include "support/test_support.h"
#include "xcodec/audio/audio.h"
#include "xcodec/core/cpu_features.h"
#include "xcodec/data/prepare/prepare.h"
#include "xcodec/infer/file_jobs.h"
#include "xcodec/io/npy.h"
#include "xcodec/train/config/training_config.h"
#include "xcodec/train/trainer.h"
#include "xcodec/xcodec.h"

namespace xcodec {
namespace {

namespace fs = std::filesystem;
using xcodec::testing::TempDir;

// One tiny exported model shared by the tests of this file (training it takes a few seconds).
class E2EInfer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    xcodec::testing::write_synthetic_corpus((dir_->path() / "src").string(), 3, 1.0);
    data::PrepareConfig p;
    p.dataset = "mini";
    p.input_dir = (dir_->path() / "src").string();
    p.output_dir = (dir_->path() / "data").string();
    p.val_fraction = p.test_fraction = 0.0;
    p.progress = "none";
    data::prepare_dataset(p);
    const auto cfg = train::load_training_config(
        {"model=tiny", "data_dir=" + p.output_dir, "dataset.names=[mini]",
         "log_dir=" + (dir_->path() / "log").string(), "train.trainer.max_steps=1",
         "dataset.min_audio_length=6400", "dataset.train.batch_size=2", "train.val_every=0",
         "train.trainer.accelerator=cpu"},
        std::string(XCODEC_SOURCE_DIR) + "/configs");
    const auto r = train::run_training(cfg);
    model_ = (dir_->path() / "tiny.safetensors").string();
    train::export_checkpoint(r.last_checkpoint, model_);
  }
  static void TearDownTestSuite() { delete dir_; }
  static TempDir* dir_;
  static std::string model_;
};
TempDir* E2EInfer::dir_ = nullptr;
std::string E2EInfer::model_;

TEST_F(E2EInfer, EncodeDecodeShapesFollowThePaddingRule) {
  auto codec = Codec::load(model_);
  ASSERT_TRUE(codec->can_encode());
  EXPECT_EQ(codec->sample_rate(), 16000);
  EXPECT_DOUBLE_EQ(codec->frame_rate(), 50.0);
  for (int n : {16000, 16320, 5000}) {
    const Codes c = codec->encode(xcodec::testing::synthetic_speech(n / 16000.0, 1), 16000);
    EXPECT_EQ(c.frames, n / 320 + 1) << n;  // 1..320 zeros always appended
    EXPECT_EQ(c.num_quantizers, 1);
    for (int32_t v : c.data) ASSERT_TRUE(v >= 0 && v < codec->codebook_size());
    EXPECT_EQ(static_cast<int64_t>(codec->decode(c).size()), c.frames * 320);
  }
}

TEST_F(E2EInfer, BatchEncodeEqualsSoloEncode) {
  auto codec = Codec::load(model_);
  std::vector<std::vector<float>> batch = {xcodec::testing::synthetic_speech(0.7, 0),
                                           xcodec::testing::synthetic_speech(1.1, 1),
                                           xcodec::testing::synthetic_speech(0.7, 2)};
  const auto together = codec->encode_batch(batch, 16000);
  for (size_t i = 0; i < batch.size(); ++i)
    EXPECT_EQ(together[i].data, codec->encode(batch[i], 16000).data) << i;
  const auto decoded = codec->decode_batch(together);
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto solo = codec->decode(together[i]);
    ASSERT_EQ(decoded[i].size(), solo.size());
    for (size_t k = 0; k < solo.size(); ++k) ASSERT_NEAR(decoded[i][k], solo[k], 1e-5);
  }
}

TEST_F(E2EInfer, ConcurrentCallsOnOneModelAgree) {
  auto codec = Codec::load(model_);
  const auto x = xcodec::testing::synthetic_speech(0.8, 3);
  const Codes want = codec->encode(x, 16000);
  std::vector<Codes> got(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&, i] { got[i] = codec->encode(x, 16000); });
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g.data, want.data);
}

// Decodes `codes` in chunks of `chunk` frames; returns the error energy relative to one-shot.
double streaming_error(const Codec& codec, const Codes& codes, int64_t left, int64_t lookahead,
                       int64_t chunk) {
  const auto whole = codec.decode(codes);
  auto stream = codec.stream_decoder(left, lookahead);
  std::vector<float> streamed;
  for (int64_t t = 0; t < codes.frames; t += chunk) {
    Codes part;
    part.frames = std::min<int64_t>(chunk, codes.frames - t);
    part.data.assign(codes.data.begin() + t, codes.data.begin() + t + part.frames);
    const auto audio = stream.push(part);
    streamed.insert(streamed.end(), audio.begin(), audio.end());
  }
  const auto tail = stream.finish();
  streamed.insert(streamed.end(), tail.begin(), tail.end());
  EXPECT_EQ(streamed.size(), whole.size());
  double err = 0, ref = 0;
  for (size_t i = 0; i < std::min(whole.size(), streamed.size()); ++i) {
    err += (streamed[i] - whole[i]) * (streamed[i] - whole[i]);
    ref += whole[i] * whole[i];
  }
  return err / ref;
}

TEST_F(E2EInfer, StreamingDecodeMatchesOneShotAwayFromChunkEdges) {
  auto codec = Codec::load(model_);
  const Codes codes = codec->encode(xcodec::testing::synthetic_speech(4.0, 1), 16000);
  // The decoder's transformer attends over its whole input, so a window with less context gives
  // slightly different audio. Measured on this tiny random model: error energy 9.8 % of the
  // signal at (24, 8) frames, 3.0 % at the defaults (100, 25); more context never hurts.
  const double small = streaming_error(*codec, codes, 24, 8, 7);
  const double defaults = streaming_error(*codec, codes, 100, 25, 7);
  EXPECT_LT(defaults, 0.05);
  EXPECT_LT(defaults, small);
  // Enough context on both sides: the same audio as one-shot decoding.
  EXPECT_LT(streaming_error(*codec, codes, 1000, 1000, 7), 1e-10);
}

TEST_F(E2EInfer, CommandsEncodeDecodeReconstructAndEvalAFolder) {
  TempDir tmp;
  const fs::path in = tmp.path() / "in";
  fs::create_directories(in / "sub dir");
  audio::Audio a;
  a.sample_rate = 22050;
  a.samples = xcodec::testing::synthetic_speech(0.9, 2, 22050);
  audio::write_audio((in / "sub dir" / "a.wav").string(), a);
  a.samples = xcodec::testing::synthetic_speech(0.5, 1, 22050);
  audio::write_audio((in / "b.flac").string(), a, audio::AudioFileFormat::kFlac16);
  std::ofstream(in / "broken.wav") << "not audio";
  const std::string cli = xcodec::testing::cli_path();
  std::string out;
  EXPECT_EQ(xcodec::testing::run_command(cli + " encode '" + in.string() + "' -o '" +
                                             (tmp.path() / "codes").string() + "' -m " + model_ +
                                             " --jobs 2 --progress none",
                                         &out),
            0)
      << out;
  EXPECT_NE(out.find("2 written"), std::string::npos) << out;
  EXPECT_NE(out.find("broken.wav"), std::string::npos) << out;
  const torch::Tensor codes = io::load_npy((tmp.path() / "codes" / "sub dir" / "a.npy").string());
  EXPECT_EQ(codes.scalar_type(), torch::kInt32);
  EXPECT_EQ(codes.sizes(), (std::vector<int64_t>{1, 14400 / 320 + 1}));
  // Second run: everything already there.
  EXPECT_EQ(xcodec::testing::run_command(cli + " encode '" + in.string() + "' -o '" +
                                             (tmp.path() / "codes").string() + "' -m " + model_ +
                                             " --progress none",
                                         &out),
            0)
      << out;
  EXPECT_NE(out.find("2 already present"), std::string::npos) << out;
  EXPECT_EQ(
      xcodec::testing::run_command(cli + " decode '" + (tmp.path() / "codes").string() + "' -o '" +
                                       (tmp.path() / "wav").string() + "' -m " + model_,
                                   &out),
      0)
      << out;
  EXPECT_EQ(audio::probe_audio((tmp.path() / "wav" / "b.wav").string()).frames,
            (8000 / 320 + 1) * 320);
  EXPECT_EQ(
      xcodec::testing::run_command(cli + " reconstruct '" + (in / "b.flac").string() + "' -o '" +
                                       (tmp.path() / "b_rec.wav").string() + "' -m " + model_,
                                   &out),
      0)
      << out;
  const auto info = audio::probe_audio((tmp.path() / "b_rec.wav").string());
  EXPECT_EQ(info.sample_rate, 22050);
  EXPECT_EQ(info.frames, static_cast<int64_t>(a.samples.size()));
  // Bad codes: one clear line, non-zero exit.
  io::save_npy((tmp.path() / "bad.npy").string(), torch::full({1, 5}, 70000, torch::kInt32));
  EXPECT_NE(
      xcodec::testing::run_command(cli + " decode " + (tmp.path() / "bad.npy").string() + " -o " +
                                       (tmp.path() / "bad.wav").string() + " -m " + model_,
                                   &out),
      0);
  EXPECT_NE(out.find("outside the codebook"), std::string::npos) << out;
  // Eval report with finite numbers.
  const std::string report = (tmp.path() / "report.json").string();
  EXPECT_EQ(xcodec::testing::run_command(
                cli + " eval -m " + model_ + " --dir '" + in.string() + "' -o " + report, &out),
            0)
      << out;
  const auto j = nlohmann::json::parse(std::ifstream(report));
  EXPECT_EQ(j["files_evaluated"].get<int>(), 2);
  for (const char* k : {"stoi", "estoi", "si_sdr_db", "mel_distance", "log_spectral_distance"}) {
    EXPECT_TRUE(j["mean"][k].is_number()) << k;
  }
  EXPECT_DOUBLE_EQ(j["codec"]["bitrate_bps"].get<double>(), 50.0 * 8);  // tiny: 4^4 codes = 8 bits
  EXPECT_EQ(j["codec"]["family"], "xcodec2");
  EXPECT_EQ(j["codec"]["quantizer"], "fsq");
  ASSERT_EQ(j["codec"]["per_quantizer"].size(), 1u);
  // One quantizer: its own figures are the pooled ones.
  for (const char* k : {"codebook_usage", "codes_distinct", "code_entropy_bits", "code_perplexity"})
    EXPECT_EQ(j["codec"]["per_quantizer"][0][k], j["codec"][k]) << k;
  EXPECT_GT(j["codec"]["per_quantizer"][0]["codes_distinct"].get<int>(), 0);
  EXPECT_TRUE(fs::exists(tmp.path() / "report_spectrograms"));
}

// On a CPU that only emulates bf16 (here forced by capping oneDNN at AVX2, as on an AVX2-only
// CPU), `--precision bf16` runs fp32 with one warning; `auto` quietly takes fp32.
TEST_F(E2EInfer, Bf16WhereEmulatedRunsFp32AndWarns) {
  TempDir tmp;
  audio::Audio a;
  a.sample_rate = 16000;
  a.samples = xcodec::testing::synthetic_speech(0.5, 1, 16000);
  const std::string in = (tmp.path() / "a.wav").string();
  audio::write_audio(in, a);
  const std::string cli = "ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 " +
                          xcodec::testing::cli_path() + " reconstruct '" + in + "' -m " + model_;
  std::string out;
  ASSERT_EQ(xcodec::testing::run_command(
                cli + " -o '" + (tmp.path() / "bf16.wav").string() + "' --precision bf16", &out),
            0)
      << out;
  EXPECT_NE(out.find("precision bf16 requested, running fp32 instead"), std::string::npos) << out;
  EXPECT_NE(out.find("ONEDNN_MAX_CPU_ISA=AVX2"), std::string::npos) << out;
  ASSERT_EQ(xcodec::testing::run_command(
                cli + " -o '" + (tmp.path() / "fp32.wav").string() + "' --precision fp32", &out),
            0)
      << out;
  // The fallback is fp32 itself: the same samples.
  EXPECT_EQ(audio::read_audio((tmp.path() / "bf16.wav").string()).samples,
            audio::read_audio((tmp.path() / "fp32.wav").string()).samples);
  ASSERT_EQ(xcodec::testing::run_command(
                cli + " -o '" + (tmp.path() / "auto.wav").string() + "' --precision auto", &out),
            0)
      << out;
  EXPECT_NE(out.find("precision auto: fp32"), std::string::npos) << out;
}

// One input file with an explicit output: a second run replaces the output (it must never
// keep a result another model wrote); a folder run skips what is finished.
TEST_F(E2EInfer, ExplicitOutputFileIsReplacedFoldersSkipFinishedOnes) {
  TempDir tmp;
  audio::Audio a;
  a.sample_rate = 16000;
  a.samples = xcodec::testing::synthetic_speech(0.4, 1, 16000);
  const std::string in = (tmp.path() / "a.wav").string();
  audio::write_audio(in, a);
  const std::string out = (tmp.path() / "out.wav").string();
  std::ofstream(out) << "stale";  // what an earlier run (or another model) left there
  const std::string cmd = xcodec::testing::cli_path() + " reconstruct '" + in + "' -o '" + out +
                          "' -m " + model_ + " --progress none";
  std::string log;
  ASSERT_EQ(xcodec::testing::run_command(cmd, &log), 0) << log;
  EXPECT_NE(log.find("1 written"), std::string::npos) << log;
  EXPECT_EQ(audio::read_audio(out).samples.size(), a.samples.size());
}

}  // namespace
}  // namespace xcodec

TEST(FileJobs, DefaultThreadsShareTheUsableCpusAmongTheJobs) {
  const int cpus = xcodec::usable_cpu_count();
  EXPECT_EQ(xcodec::infer::default_threads_per_job(1), cpus);
  EXPECT_EQ(xcodec::infer::default_threads_per_job(0), cpus);
  EXPECT_EQ(xcodec::infer::default_threads_per_job(2), std::max(1, cpus / 2));
  EXPECT_EQ(xcodec::infer::default_threads_per_job(4 * cpus), 1);
}
