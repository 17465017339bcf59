// Evaluation metrics: known answers and parity with the reference values in
// ../shared/fixtures/metrics-refs/ (pystoi 0.4.1, NumPy SI-SDR, X-Codec-2.0 mel loss).
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <iostream>
#include <limits>
#include <random>

#include "support/test_support.h"
#include "xcodec/core/error.h"
#include "xcodec/eval/metrics/codec_stats.h"
#include "xcodec/eval/metrics/si_sdr.h"
#include "xcodec/eval/metrics/signal_metrics.h"
#include "xcodec/eval/metrics/spectral_distance.h"
#include "xcodec/eval/metrics/spectrogram_image.h"
#include "xcodec/eval/metrics/stoi.h"
#include "xcodec/io/atomic_file.h"

namespace xcodec::eval {
namespace {

using xcodec::testing::fixture_path;
using xcodec::testing::load_fixture;

// ---- helpers -------------------------------------------------------------------------------

std::vector<float> to_vector(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kFloat32).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

std::vector<double> to_double_vector(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

// A speech-like test signal: white noise shaped by a slow syllabic envelope plus two tones.
std::vector<float> speech_like(int sample_rate, double seconds, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  const int n = static_cast<int>(seconds * sample_rate);
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / sample_rate;
    const double env = 0.55 + 0.45 * std::sin(2 * M_PI * 3.0 * t) * std::sin(2 * M_PI * 0.7 * t);
    x[i] = static_cast<float>(env * (0.05 * normal(rng) + 0.2 * std::sin(2 * M_PI * 220 * t) +
                                     0.1 * std::sin(2 * M_PI * 1250 * t)));
  }
  return x;
}

std::vector<float> white_noise(size_t n, double std_dev, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, std_dev);
  std::vector<float> x(n);
  for (auto& v : x) v = static_cast<float>(normal(rng));
  return x;
}

const nlohmann::json& refs() {
  static const nlohmann::json j = [] {
    std::ifstream in(fixture_path("metrics-refs/values.json"));
    nlohmann::json parsed;
    if (in) in >> parsed;
    return parsed;
  }();
  return j;
}

struct Pair {
  int id;
  int fs;
  std::vector<float> ref, deg;
  const nlohmann::json* values;
};

std::vector<Pair> load_pairs() {
  std::vector<Pair> pairs;
  const auto& j = refs();
  if (!j.contains("pairs")) {
    ADD_FAILURE() << "metrics-refs/values.json has no pairs";
    return pairs;
  }
  for (const auto& p : j["pairs"]) {
    Pair pair;
    pair.id = p["id"].get<int>();
    pair.fs = p["fs"].get<int>();
    pair.ref = to_vector(load_fixture("metrics-refs/" + p["ref"].get<std::string>()));
    pair.deg = to_vector(load_fixture("metrics-refs/" + p["deg"].get<std::string>()));
    EXPECT_EQ(pair.ref.size(), p["num_samples"].get<size_t>()) << "pair " << pair.id;
    pair.values = &p;
    pairs.push_back(std::move(pair));
  }
  EXPECT_EQ(pairs.size(), 10u);
  return pairs;
}

// ---- STOI / ESTOI parity -------------------------------------------------------------------

TEST(StoiResampleFilterParity, MatchesPystoiKaiserFilters) {
  for (int fs : {8000, 16000, 24000}) {
    const auto want = to_double_vector(
        load_fixture("metrics-refs/resample_filter_" + std::to_string(fs) + ".npy"));
    const auto got = stoi_resample_filter(10000, fs);
    ASSERT_EQ(got.size(), want.size()) << fs;
    double max_diff = 0.0;
    for (size_t i = 0; i < got.size(); ++i)
      max_diff = std::max(max_diff, std::abs(got[i] - want[i]));
    EXPECT_LE(max_diff, 1e-15) << "fs " << fs;
    std::cout << "[ info ] resample filter " << fs << ": max |difference| " << max_diff << "\n";
  }
}

TEST(StoiResampleParity, ReferencesAt10kHzMatchPystoi) {
  ASSERT_TRUE(refs().contains("pairs")) << "metrics-refs/values.json missing or malformed";
  const auto& pairs = refs()["pairs"];
  for (int id : {1, 8, 9}) {
    const auto& p = pairs[id];
    const auto x = to_double_vector(load_fixture("metrics-refs/" + p["ref"].get<std::string>()));
    const auto want =
        to_double_vector(load_fixture("metrics-refs/ref_" + std::to_string(id) + "_10k.npy"));
    const auto got = stoi_resample(x, p["fs"].get<int>(), 10000);
    ASSERT_EQ(got.size(), want.size()) << "pair " << id;
    double max_diff = 0.0;
    for (size_t i = 0; i < got.size(); ++i)
      max_diff = std::max(max_diff, std::abs(got[i] - want[i]));
    EXPECT_LE(max_diff, 1e-12) << "pair " << id;
    std::cout << "[ info ] pair " << id << " 10 kHz signal: max |difference| " << max_diff << "\n";
  }
}

TEST(StoiBandsParity, ThirdOctaveBinsMatchReference) {
  const auto bands = stoi_third_octave_bins();
  ASSERT_TRUE(refs().contains("third_octave_bands")) << "metrics-refs/values.json missing";
  const auto& want = refs()["third_octave_bands"];
  ASSERT_EQ(bands.size(), want.size());
  for (size_t i = 0; i < bands.size(); ++i) {
    EXPECT_EQ(bands[i].first, want[i]["first_bin"].get<int>()) << "band " << i;
    EXPECT_EQ(bands[i].second, want[i]["end_bin_exclusive"].get<int>()) << "band " << i;
  }
}

void check_stoi_pairs(bool extended) {
  const char* key = extended ? "estoi" : "stoi";
  double max_diff = 0.0;
  for (const auto& pair : load_pairs()) {
    const auto& v = *pair.values;
    const StoiDetails d = stoi_details(pair.ref, pair.deg, pair.fs, extended);
    EXPECT_NEAR(d.value, v[key].get<double>(), 1e-9) << key << " pair " << pair.id;
    max_diff = std::max(max_diff, std::abs(d.value - v[key].get<double>()));
    const auto& pipe = v["stoi_pipeline"];
    EXPECT_EQ(d.samples_10k, pipe["num_samples_10k"].get<int64_t>()) << "pair " << pair.id;
    EXPECT_EQ(d.frames_total, pipe["frames_total"].get<int>()) << "pair " << pair.id;
    EXPECT_EQ(d.frames_kept, pipe["frames_kept"].get<int>()) << "pair " << pair.id;
    EXPECT_EQ(d.samples_after_removal, pipe["num_samples_after_removal"].get<int64_t>())
        << "pair " << pair.id;
    EXPECT_EQ(d.stft_frames, pipe["stft_frames"].get<int>()) << "pair " << pair.id;
    EXPECT_EQ(d.segments, pipe["segments"].get<int>()) << "pair " << pair.id;
    std::vector<std::pair<int, int>> runs;
    for (const auto& r : pipe["kept_frame_runs"])
      runs.emplace_back(r[0].get<int>(), r[1].get<int>());
    EXPECT_EQ(d.kept_runs, runs) << "pair " << pair.id;
    if (pair.id == 0 || pair.id == 3) EXPECT_NEAR(d.value, 1.0, 1e-12) << "pair " << pair.id;
  }
  std::cout << "[ info ] " << key << ": max |difference| to pystoi over the pairs " << max_diff
            << "\n";
}

TEST(StoiParity, AllReferencePairs) { check_stoi_pairs(/*extended=*/false); }
TEST(EstoiParity, AllReferencePairs) { check_stoi_pairs(/*extended=*/true); }

// ---- SI-SDR / mel distance parity -----------------------------------------------------------

TEST(SiSdrParity, AllReferencePairs) {
  double max_diff = 0.0;
  for (const auto& pair : load_pairs()) {
    const auto& v = *pair.values;
    const double got = si_sdr(pair.ref, pair.deg);
    if (v["si_sdr_is_inf"].get<bool>()) {
      EXPECT_TRUE(std::isinf(got) && got > 0) << "pair " << pair.id << " got " << got;
    } else {
      EXPECT_NEAR(got, v["si_sdr_db"].get<double>(), 1e-8) << "pair " << pair.id;
      max_diff = std::max(max_diff, std::abs(got - v["si_sdr_db"].get<double>()));
    }
  }
  std::cout << "[ info ] SI-SDR: max |difference| to the reference " << max_diff << " dB\n";
}

TEST(MelDistanceParity, AllReferencePairsFloat64) {
  double max_rel = 0.0;
  for (const auto& pair : load_pairs()) {
    const auto& v = *pair.values;
    const auto per_scale = mel_distance_per_scale(pair.ref, pair.deg, pair.fs);
    const auto& want = v["mel_distance_per_scale_float64"];
    ASSERT_EQ(per_scale.size(), want.size());
    double total = 0.0;
    for (size_t s = 0; s < per_scale.size(); ++s) {
      const double w = want[s].get<double>();
      EXPECT_NEAR(per_scale[s], w, 1e-9 * std::abs(w) + 1e-12)
          << "pair " << pair.id << " scale " << s;
      total += per_scale[s];
    }
    const double w = v["mel_distance_float64"].get<double>();
    EXPECT_NEAR(total, w, 1e-9 * std::abs(w) + 1e-12) << "pair " << pair.id;
    max_rel = std::max(max_rel, std::abs(total - w) / std::max(std::abs(w), 1e-30));
    if (pair.id == 0) EXPECT_EQ(total, 0.0);
    // The float32 (training) value differs from the float64 definition by <= 1e-7 relative.
    const double w32 = v["mel_distance"].get<double>();
    EXPECT_NEAR(total, w32, 1e-5 * std::abs(w32) + 1e-7) << "pair " << pair.id;
  }
  std::cout << "[ info ] mel distance: max relative difference to float64 reference " << max_rel
            << "\n";
}

// ---- known answers --------------------------------------------------------------------------

TEST(Stoi, IdenticalSignalsGiveOne) {
  for (int fs : {8000, 16000, 22050, 44100}) {
    const auto x = speech_like(fs, 2.0, 7);
    EXPECT_NEAR(stoi(x, x, fs), 1.0, 1e-12) << fs;
    EXPECT_NEAR(estoi(x, x, fs), 1.0, 1e-12) << fs;
  }
}

TEST(Stoi, ScaledSignalGivesOneAndNoiseLowersIt) {
  const int fs = 16000;
  const auto x = speech_like(fs, 3.0, 11);
  std::vector<float> half(x.size());
  for (size_t i = 0; i < x.size(); ++i) half[i] = 0.5f * x[i];
  EXPECT_NEAR(stoi(x, half, fs), 1.0, 1e-12);
  EXPECT_NEAR(estoi(x, half, fs), 1.0, 1e-12);
  double last_stoi = 1.0, last_estoi = 1.0;
  for (double noise_std : {0.01, 0.05, 0.2}) {
    auto y = x;
    const auto n = white_noise(x.size(), noise_std, 3);
    for (size_t i = 0; i < y.size(); ++i) y[i] += n[i];
    const double s = stoi(x, y, fs), e = estoi(x, y, fs);
    EXPECT_LT(s, last_stoi) << noise_std;
    EXPECT_LT(e, last_estoi) << noise_std;
    EXPECT_GT(s, 0.0);
    last_stoi = s;
    last_estoi = e;
  }
}

TEST(Stoi, RejectsMismatchedLengthsAndTooShortInput) {
  const auto x = speech_like(16000, 1.0, 1);
  std::vector<float> y(x.begin(), x.end() - 1);
  EXPECT_THROW(stoi(x, y, 16000), ShapeError);
  EXPECT_THROW(stoi(std::vector<float>(100, 0.1f), std::vector<float>(100, 0.1f), 16000),
               ShapeError);
  EXPECT_THROW(stoi(x, x, 0), ConfigError);
  auto bad = x;
  bad[100] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(stoi(x, bad, 16000)));
  EXPECT_TRUE(std::isnan(estoi(bad, x, 16000)));
}

TEST(Stoi, ReturnsPystoiFloorWhenTooFewSpeechFrames) {
  // 0.25 s of signal at 10 kHz leaves fewer than 30 STFT frames: pystoi returns 1e-5.
  const auto x = speech_like(10000, 0.25, 5);
  const StoiDetails d = stoi_details(x, x, 10000, false);
  EXPECT_LT(d.stft_frames, 30);
  EXPECT_EQ(d.value, StoiConstants::kTooShortValue);
}

TEST(Stoi, SilentFramesOfTheReferenceAreRemoved) {
  // Appending digital silence to both signals changes nothing: those frames are dropped.
  const int fs = 10000;
  auto x = speech_like(fs, 2.0, 21);
  auto y = x;
  const auto n = white_noise(x.size(), 0.05, 9);
  for (size_t i = 0; i < y.size(); ++i) y[i] += n[i];
  const double base = stoi(x, y, fs);
  const StoiDetails base_details = stoi_details(x, y, fs, false);
  x.resize(x.size() + 128 * 40, 0.0f);
  y.resize(y.size() + 128 * 40, 0.0f);
  const StoiDetails d = stoi_details(x, y, fs, false);
  // Frames of pure silence are dropped; only the up to two frames that now fit over the old
  // end (part signal, part silence) can join the kept ones.
  EXPECT_GE(d.frames_kept, base_details.frames_kept);
  EXPECT_LE(d.frames_kept, base_details.frames_kept + 2);
  EXPECT_EQ(d.frames_total, base_details.frames_total + 40);
  EXPECT_NEAR(d.value, base, 0.02);
}

TEST(SiSdr, IdenticalAndScaledSignals) {
  const auto x = speech_like(16000, 1.0, 2);
  EXPECT_TRUE(std::isinf(si_sdr(x, x)) && si_sdr(x, x) > 0);
  auto y = x;
  const auto n = white_noise(x.size(), 0.03, 4);
  for (size_t i = 0; i < y.size(); ++i) y[i] += n[i];
  const double base = si_sdr(x, y);
  EXPECT_TRUE(std::isfinite(base));
  for (float gain : {0.25f, 3.0f, -1.0f}) {
    std::vector<float> scaled(y.size());
    for (size_t i = 0; i < y.size(); ++i) scaled[i] = gain * y[i];
    EXPECT_NEAR(si_sdr(x, scaled), base, 1e-4) << gain;
  }
  // A DC offset does not matter either (zero-mean definition).
  std::vector<float> shifted(y.size());
  for (size_t i = 0; i < y.size(); ++i) shifted[i] = y[i] + 0.25f;
  EXPECT_NEAR(si_sdr(x, shifted), base, 1e-4);
}

TEST(SiSdr, WhiteNoiseAtKnownSnr) {
  const auto x = speech_like(16000, 4.0, 8);
  const size_t n = x.size();
  double mean_x = 0.0;
  for (float v : x) mean_x += v;
  mean_x /= n;
  double ex = 0.0;
  for (float v : x) ex += (v - mean_x) * (v - mean_x);
  for (double snr_db : {-5.0, 0.0, 10.0, 25.0}) {
    auto noise = white_noise(n, 1.0, 100 + static_cast<uint64_t>(snr_db + 10));
    // Zero-mean noise, exactly orthogonal to the zero-mean clean signal: SI-SDR = SNR.
    double mean_n = 0.0;
    for (float v : noise) mean_n += v;
    mean_n /= n;
    std::vector<double> nd(n);
    double dot = 0.0;
    for (size_t i = 0; i < n; ++i) {
      nd[i] = noise[i] - mean_n;
      dot += nd[i] * (x[i] - mean_x);
    }
    double en = 0.0;
    for (size_t i = 0; i < n; ++i) {
      nd[i] -= dot / ex * (x[i] - mean_x);
      en += nd[i] * nd[i];
    }
    const double gain = std::sqrt(ex / (en * std::pow(10.0, snr_db / 10.0)));
    std::vector<float> y(n), y_raw(n);
    for (size_t i = 0; i < n; ++i) {
      y[i] = static_cast<float>(x[i] + gain * nd[i]);
      y_raw[i] = static_cast<float>(x[i] + gain * noise[i]);
    }
    EXPECT_NEAR(si_sdr(x, y), snr_db, 2e-3) << snr_db;  // float32 rounding of y only
    // Plain (not orthogonalised) white noise: SI-SDR is the SNR up to the chance correlation.
    EXPECT_NEAR(si_sdr(x, y_raw), snr_db, 0.1) << snr_db;
  }
}

TEST(SiSdr, ConstantReferenceIsNanAndLengthsAreChecked) {
  EXPECT_TRUE(std::isnan(si_sdr(std::vector<float>(64, 0.5f), white_noise(64, 1.0, 1))));
  EXPECT_THROW(si_sdr(std::vector<float>(3, 0.f), std::vector<float>(4, 0.f)), ShapeError);
  EXPECT_THROW(si_sdr(std::vector<float>{}, std::vector<float>{}), ShapeError);
}

TEST(MelDistance, IdenticalIsZeroAndGainGivesLogRatio) {
  const int fs = 16000;
  const auto x = speech_like(fs, 1.5, 12);
  EXPECT_EQ(mel_distance(x, x, fs), 0.0);
  // Well above the clamp, a gain g moves every log-mel value by log10 g on every scale.
  std::vector<float> louder(x.size());
  for (size_t i = 0; i < x.size(); ++i) louder[i] = 2.0f * x[i];
  MelDistanceOptions one_scale;
  one_scale.n_mels = {40};
  one_scale.n_fft = {512};
  EXPECT_NEAR(mel_distance(x, louder, fs, one_scale), std::log10(2.0), 1e-9);
  one_scale.n_fft = {500};
  EXPECT_THROW(mel_distance(x, louder, fs, one_scale), ConfigError);
  EXPECT_THROW(mel_distance(x, std::vector<float>(10, 0.f), fs), ShapeError);
}

TEST(LogSpectralDistance, IdenticalIsZeroAndGainGivesTwiceLogRatio) {
  const auto x = white_noise(16000, 0.1, 13);
  EXPECT_EQ(log_spectral_distance(x, x), 0.0);
  std::vector<float> half(x.size());
  for (size_t i = 0; i < x.size(); ++i) half[i] = 0.5f * x[i];
  EXPECT_NEAR(log_spectral_distance(x, half), 2.0 * std::log10(2.0), 1e-6);
  LogSpectralDistanceOptions bad;
  bad.hop = 0;
  EXPECT_THROW(log_spectral_distance(x, half, bad), ConfigError);
}

// ---- codec statistics -----------------------------------------------------------------------

TEST(CodecStats, BitrateAndTokenRate) {
  EXPECT_DOUBLE_EQ(bitrate_bps(50.0, 65536, 1), 800.0);  // X-Codec-2.0
  EXPECT_DOUBLE_EQ(bitrate_bps(75.0, 1024, 8), 6000.0);  // EnCodec 6 kb/s
  EXPECT_DOUBLE_EQ(tokens_per_second(50.0, 1), 50.0);
  EXPECT_DOUBLE_EQ(tokens_per_second(75.0, 8), 600.0);
  EXPECT_THROW(bitrate_bps(0.0, 1024, 1), ConfigError);
  EXPECT_THROW(bitrate_bps(50.0, 1, 1), ConfigError);
}

TEST(CodecStats, UsageEntropyAndPerplexityOfKnownHistogram) {
  const CodeUsage u = code_usage({4, 0, 2, 2});
  EXPECT_EQ(u.total, 8);
  EXPECT_EQ(u.distinct, 3);
  EXPECT_DOUBLE_EQ(u.usage, 0.75);
  EXPECT_NEAR(u.entropy_bits, 1.5, 1e-15);
  EXPECT_NEAR(u.perplexity, std::pow(2.0, 1.5), 1e-12);
  EXPECT_NEAR(u.normalized_entropy, 0.75, 1e-15);
  const CodeUsage uniform = code_usage(std::vector<int64_t>(256, 3));
  EXPECT_DOUBLE_EQ(uniform.usage, 1.0);
  EXPECT_NEAR(uniform.entropy_bits, 8.0, 1e-12);
  EXPECT_NEAR(uniform.perplexity, 256.0, 1e-9);
  const CodeUsage empty = code_usage(std::vector<int64_t>(16, 0));
  EXPECT_EQ(empty.total, 0);
  EXPECT_EQ(empty.usage, 0.0);
}

TEST(CodecStats, HistogramAccumulatesCodesPerQuantizer) {
  CodeHistogram hist(2, 4);
  hist.add(torch::tensor({{0, 0, 1, 1}, {3, 3, 3, 3}}, torch::kInt32));
  CodeHistogram other(2, 4);
  other.add(torch::tensor({{2, 2, 0, 0}, {3, 3, 3, 3}}, torch::kInt64));
  hist.merge(other);
  EXPECT_EQ(hist.counts(0), (std::vector<int64_t>{4, 2, 2, 0}));
  EXPECT_EQ(hist.counts(1), (std::vector<int64_t>{0, 0, 0, 8}));
  EXPECT_DOUBLE_EQ(hist.usage(0).usage, 0.75);
  EXPECT_NEAR(hist.usage(0).entropy_bits, 1.5, 1e-15);
  EXPECT_EQ(hist.usage(1).entropy_bits, 0.0);
  EXPECT_DOUBLE_EQ(hist.usage(1).perplexity, 1.0);
  EXPECT_EQ(hist.pooled_usage().total, 16);
  EXPECT_DOUBLE_EQ(hist.pooled_usage().usage, 1.0);

  CodeHistogram single(1, 8);
  single.add(torch::tensor({1, 2, 3}, torch::kInt64));  // [frames] is fine for one quantizer
  EXPECT_EQ(single.usage(0).distinct, 3);
  EXPECT_THROW(single.add(torch::tensor({8}, torch::kInt64)), ShapeError);
  EXPECT_THROW(single.add(torch::tensor({-1}, torch::kInt64)), ShapeError);
  EXPECT_THROW(single.add(torch::tensor({1.0f})), ShapeError);
  EXPECT_THROW(hist.add(torch::zeros({3, 2}, torch::kInt64)), ShapeError);
  EXPECT_THROW(hist.merge(single), ConfigError);
}

// ---- aggregation and image -------------------------------------------------------------------

TEST(SignalMetrics, ComputesEveryMetricAndAggregatesFiniteValues) {
  const int fs = 16000;
  const auto x = speech_like(fs, 1.5, 30);
  auto y = x;
  const auto n = white_noise(x.size(), 0.02, 31);
  for (size_t i = 0; i < y.size(); ++i) y[i] += n[i];
  const SignalMetrics m = compute_signal_metrics(x, y, fs);
  EXPECT_DOUBLE_EQ(m.stoi, stoi(x, y, fs));
  EXPECT_DOUBLE_EQ(m.estoi, estoi(x, y, fs));
  EXPECT_DOUBLE_EQ(m.si_sdr_db, si_sdr(x, y));
  EXPECT_DOUBLE_EQ(m.mel_distance, mel_distance(x, y, fs));
  EXPECT_DOUBLE_EQ(m.log_spectral_distance, log_spectral_distance(x, y));

  SignalMetricsOptions only_sdr;
  only_sdr.stoi = only_sdr.estoi = only_sdr.mel_distance = only_sdr.log_spectral_distance = false;
  const SignalMetrics exact = compute_signal_metrics(x, x, fs, only_sdr);
  EXPECT_TRUE(std::isnan(exact.stoi));
  EXPECT_TRUE(std::isinf(exact.si_sdr_db));

  SignalMetricsSummary summary;
  summary.add(m);
  summary.add(exact);
  EXPECT_EQ(summary.files, 2);
  EXPECT_EQ(summary.si_sdr_db.count(), 1);
  EXPECT_EQ(summary.si_sdr_db.positive_infinite(), 1);
  EXPECT_DOUBLE_EQ(summary.si_sdr_db.mean(), m.si_sdr_db);
  EXPECT_EQ(summary.stoi.not_a_number(), 1);
  EXPECT_DOUBLE_EQ(summary.stoi.mean(), m.stoi);

  MetricMean mean;
  EXPECT_TRUE(std::isnan(mean.mean()));
  for (double v : {1.0, 2.0, 6.0}) mean.add(v);
  EXPECT_DOUBLE_EQ(mean.mean(), 3.0);
  EXPECT_DOUBLE_EQ(mean.min(), 1.0);
  EXPECT_DOUBLE_EQ(mean.max(), 6.0);
}

uint32_t read_be32(const std::string& s, size_t at) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(s[at])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[at + 2])) << 8) |
         static_cast<uint32_t>(static_cast<uint8_t>(s[at + 3]));
}

TEST(SpectrogramImage, WritesPngOfExpectedSize) {
  const int fs = 16000;
  const auto x = speech_like(fs, 1.0, 40);
  std::vector<float> y(x.begin(), x.begin() + 12000);  // shorter reconstruction is allowed
  SpectrogramImageOptions o;
  o.n_fft = 256;
  o.hop = 64;
  xcodec::testing::TempDir dir;
  const std::string path = (dir.path() / "cmp.png").string();
  write_spectrogram_comparison_png(path, x, y, fs, o);
  const std::string bytes = io::read_file(path);
  ASSERT_GT(bytes.size(), 33u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(bytes.substr(12, 4), "IHDR");
  EXPECT_EQ(read_be32(bytes, 16), 16000u / 64 + 1);         // width: STFT frames
  EXPECT_EQ(read_be32(bytes, 20), 2u * 128 + o.separator);  // height: two panels
  o.max_width = 100;
  const std::string narrow = spectrogram_comparison_png(x, y, fs, o);
  EXPECT_EQ(read_be32(narrow, 16), 100u);
  o.panel_height = 50;
  EXPECT_EQ(read_be32(spectrogram_comparison_png(x, y, fs, o), 20), 2u * 50 + o.separator);
  EXPECT_THROW(spectrogram_comparison_png(x, std::vector<float>{}, fs, o), ShapeError);
  o.n_fft = 300;
  EXPECT_THROW(spectrogram_comparison_png(x, y, fs, o), ConfigError);
}

TEST(CodecStats, UsageWarningsForCollapseAndLowUsage) {
  // Healthy: 300 distinct of 1024, 10 distinct per utterance.
  std::vector<int64_t> counts(1024, 0);
  for (int i = 0; i < 300; ++i) counts[static_cast<size_t>(i)] = 2;
  EXPECT_TRUE(code_usage_warnings(code_usage(counts), 1024, 10.0).empty());
  // One code for every frame: collapse, and usage far below 1 %.
  std::vector<int64_t> one(65536, 0);
  one[7] = 5000;
  const auto w = code_usage_warnings(code_usage(one), 65536, 1.0);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_NE(w[0].find("codebook collapse"), std::string::npos) << w[0];
  EXPECT_NE(w[1].find("below 1 %"), std::string::npos) << w[1];
  EXPECT_NE(w[1].find("only 5000 codes were emitted"), std::string::npos) << w[1];
  EXPECT_TRUE(code_usage_warnings(CodeUsage{}, 16, -1).empty());
}

TEST(CodecStats, DistinctCodesPerQuantizer) {
  EXPECT_DOUBLE_EQ(distinct_codes_per_quantizer(torch::tensor({3, 3, 3, 3})), 1.0);
  EXPECT_DOUBLE_EQ(distinct_codes_per_quantizer(torch::tensor({1, 2, 2, 3, 4, 5}).view({2, 3})),
                   2.5);
}

}  // namespace
}  // namespace xcodec::eval
