// `xcodec eval --ref --deg`: file pairing, delay compensation and scoring of any codec's output.
#include "xcodec/eval/compare.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "xcodec/audio/audio.h"
#include "xcodec/audio/audio_extensions.h"
#include "xcodec/audio/resample.h"
#include "xcodec/core/error.h"
#include "xcodec/core/logging.h"
#include "xcodec/eval/metrics/signal_metrics.h"
#include "xcodec/io/atomic_file.h"

namespace xcodec::eval {
namespace fs = std::filesystem;

namespace {

nlohmann::json number(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

// Relative path without its extension: the key that pairs a/b.wav with a/b.flac.
std::string pair_key(const fs::path& rel) { return (rel.parent_path() / rel.stem()).string(); }

// Audio files under `dir` by pairing key; a key given twice (a/b.wav and a/b.flac) keeps the
// first in sorted order and lists the others in `extra`.
std::map<std::string, std::string> audio_files(const std::string& dir, const char* what,
                                               std::vector<std::string>* extra) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw IoError(std::string("eval: --") + what + " '" + dir + "' is not a folder");
  std::vector<fs::path> rels;
  for (auto it =
           fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file(ec) || !audio::has_audio_extension(it->path().filename().string()))
      continue;
    rels.push_back(fs::relative(it->path(), dir));
  }
  std::sort(rels.begin(), rels.end());
  std::map<std::string, std::string> out;
  for (const auto& rel : rels) {
    if (!out.emplace(pair_key(rel), rel.string()).second) extra->push_back(rel.string());
  }
  return out;
}

}  // namespace

void CompareOptions::validate() const {
  if (ref_dir.empty()) throw ConfigError("eval: --ref is required with --deg");
  if (deg_dir.empty()) throw ConfigError("eval: --deg is required with --ref");
  if (sample_rate < 0)
    throw ConfigError("eval: --sample-rate must be >= 0, got " + std::to_string(sample_rate));
  if (!(max_delay_ms >= 0) || max_delay_ms > 10000)
    throw ConfigError("eval: --max-delay-ms must be in [0, 10000], got " +
                      std::to_string(max_delay_ms));
}

namespace {

// Linear cross-correlation c[k] = sum_m a[m] b[m + k] for every lag, by one float64 FFT of size
// n >= len(a) + len(b) (no wrap-around); negative lags sit at the end (index n + k).
torch::Tensor cross_correlation(const torch::Tensor& a, const torch::Tensor& b, int64_t n) {
  return torch::fft::irfft(torch::fft::rfft(a, n).conj() * torch::fft::rfft(b, n), n).contiguous();
}

// Amplitude envelope: sqrt of the power averaged over `width` samples (centred), mean removed.
torch::Tensor envelope(const torch::Tensor& x, int64_t width) {
  // Box average by a cumulative sum: O(n) whatever the width.
  const int64_t n = x.size(0);
  const int64_t half = width / 2;
  const torch::Tensor padded = torch::constant_pad_nd(x * x, {half + 1, width - half});
  const torch::Tensor cs = padded.cumsum(0);
  torch::Tensor e =
      (cs.slice(0, width, width + n) - cs.slice(0, 0, n)) / static_cast<double>(width);
  e = e.clamp_min(0).sqrt();
  return e - e.mean();
}

// The lag in [lo, hi] with the largest correlation; ties prefer the smallest shift.
int64_t best_lag(const torch::Tensor& xc, int64_t lo, int64_t hi, double* value) {
  const double* c = xc.data_ptr<double>();
  const int64_t n = xc.size(0);
  int64_t best = 0;
  double best_value = -std::numeric_limits<double>::infinity();
  for (int64_t lag = lo; lag <= hi; ++lag) {
    const double v = c[lag >= 0 ? lag : n + lag];
    if (v > best_value || (v == best_value && std::abs(lag) < std::abs(best))) {
      best_value = v;
      best = lag;
    }
  }
  *value = best_value;
  return best;
}

}  // namespace

int64_t estimate_delay(SampleSpan reference, SampleSpan degraded, int64_t max_lag) {
  if (max_lag <= 0 || reference.empty() || degraded.empty()) return 0;
  const auto n_ref = static_cast<int64_t>(reference.size());
  const auto n_deg = static_cast<int64_t>(degraded.size());
  int64_t n = 1;
  while (n < n_ref + n_deg) n <<= 1;
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  const torch::Tensor r =
      torch::from_blob(const_cast<float*>(reference.data()), {n_ref}, torch::kFloat32).to(f64);
  const torch::Tensor d =
      torch::from_blob(const_cast<float*>(degraded.data()), {n_deg}, torch::kFloat32).to(f64);
  const int64_t lo = std::max(-max_lag, -(n_ref - 1));
  const int64_t hi = std::min(max_lag, n_deg - 1);
  // Low-bitrate codecs (codec2, neural GAN decoders) keep the spectral envelope but not the
  // waveform's phase, so the waveform correlation of their output peaks at random lags. The
  // amplitude envelopes (windows of max_lag / 5: 20 ms for the default 100 ms search, longer than a
  // pitch period, whose ripple would otherwise give false peaks) correlate for every codec and find
  // the delay within a few samples; for a waveform-preserving codec the waveform correlation then
  // refines it to the sample inside that window.
  const int64_t win = std::clamp<int64_t>(max_lag / 5, 2, 320);
  double env_value = 0;
  const int64_t coarse =
      best_lag(cross_correlation(envelope(r, win), envelope(d, win), n), lo, hi, &env_value);
  if (!(env_value > 0)) return 0;  // silence, or no common envelope
  double wave_value = 0;
  const int64_t fine = best_lag(cross_correlation(r, d, n), std::max(lo, coarse - win),
                                std::min(hi, coarse + win), &wave_value);
  // Accept the waveform lag only where the waveforms really match there (normalised
  // correlation of at least 0.3); otherwise the envelope's lag stands.
  const double norm = std::sqrt((r * r).sum().item<double>() * (d * d).sum().item<double>());
  return norm > 0 && wave_value >= 0.3 * norm ? fine : coarse;
}

AlignedPair align_signals(SampleSpan reference, SampleSpan degraded, int64_t delay) {
  const auto n_ref = static_cast<int64_t>(reference.size());
  const auto n_deg = static_cast<int64_t>(degraded.size());
  const int64_t ref_start = delay < 0 ? std::min(-delay, n_ref) : 0;
  const int64_t deg_start = delay > 0 ? std::min(delay, n_deg) : 0;
  const int64_t len = std::min(n_ref - ref_start, n_deg - deg_start);
  AlignedPair p;
  p.reference.assign(reference.begin() + ref_start, reference.begin() + ref_start + len);
  p.degraded.assign(degraded.begin() + deg_start, degraded.begin() + deg_start + len);
  return p;
}

nlohmann::json run_comparison(const CompareOptions& o) {
  o.validate();
  std::vector<std::string> duplicate_ref, duplicate_deg;
  const auto refs = audio_files(o.ref_dir, "ref", &duplicate_ref);
  const auto degs = audio_files(o.deg_dir, "deg", &duplicate_deg);
  if (refs.empty()) throw IoError("eval: no audio files under --ref '" + o.ref_dir + "'");

  nlohmann::json unmatched_ref = nlohmann::json::array();
  nlohmann::json unmatched_deg = nlohmann::json::array();
  std::vector<std::pair<std::string, std::string>> pairs;  // (ref rel, deg rel)
  for (const auto& [key, rel] : refs) {
    auto it = degs.find(key);
    if (it == degs.end()) {
      unmatched_ref.push_back(rel);
    } else {
      pairs.emplace_back(rel, it->second);
    }
  }
  for (const auto& [key, rel] : degs)
    if (!refs.count(key)) unmatched_deg.push_back(rel);
  for (const auto& rel : duplicate_deg) unmatched_deg.push_back(rel);
  for (const auto& rel : duplicate_ref) unmatched_ref.push_back(rel);
  if (!unmatched_ref.empty())
    XCODEC_LOG_WARN("[eval] " << unmatched_ref.size() << " reference files have no degraded "
                              << "counterpart (listed in the report), e.g. "
                              << unmatched_ref[0].get<std::string>());
  if (!unmatched_deg.empty())
    XCODEC_LOG_WARN("[eval] " << unmatched_deg.size() << " degraded files match no reference, e.g. "
                              << unmatched_deg[0].get<std::string>());
  if (pairs.empty())
    throw Error("eval: no file under --deg '" + o.deg_dir + "' matches one under --ref '" +
                o.ref_dir + "' (" + std::to_string(refs.size()) + " and " +
                std::to_string(degs.size()) +
                " audio files; pairs share the relative path without extension)");
  if (o.max_files > 0 && static_cast<int64_t>(pairs.size()) > o.max_files)
    pairs.resize(static_cast<size_t>(o.max_files));

  SignalMetricsSummary summary;
  MetricMean delay_ms;
  nlohmann::json per_file = nlohmann::json::array();
  nlohmann::json failed = nlohmann::json::array();
  double audio_seconds = 0;
  for (const auto& [ref_rel, deg_rel] : pairs) {
    try {
      audio::Audio ref = audio::read_audio((fs::path(o.ref_dir) / ref_rel).string(), o.sample_rate);
      const int rate = ref.sample_rate;
      audio::Audio deg = audio::read_audio((fs::path(o.deg_dir) / deg_rel).string(), rate);
      const int64_t max_lag = static_cast<int64_t>(std::llround(o.max_delay_ms * 1e-3 * rate));
      const int64_t delay = estimate_delay(ref.samples, deg.samples, max_lag);
      const AlignedPair p = align_signals(ref.samples, deg.samples, delay);
      if (p.reference.empty()) throw ShapeError("nothing overlaps after removing the delay");
      const SignalMetrics m = compute_signal_metrics(p.reference, p.degraded, rate);
      summary.add(m);
      const double ms = 1000.0 * static_cast<double>(delay) / rate;
      delay_ms.add(ms);
      audio_seconds += ref.duration_s();
      per_file.push_back(
          {{"file", ref_rel},
           {"degraded", deg_rel},
           {"sample_rate", rate},
           {"duration_s", ref.duration_s()},
           {"delay_samples", delay},
           {"delay_ms", ms},
           {"length_difference_ms",
            1000.0 * (static_cast<double>(deg.samples.size()) - ref.samples.size()) / rate},
           {"scored_s", static_cast<double>(p.reference.size()) / rate},
           {"stoi", number(m.stoi)},
           {"estoi", number(m.estoi)},
           {"si_sdr_db", number(m.si_sdr_db)},
           {"mel_distance", number(m.mel_distance)},
           {"log_spectral_distance", number(m.log_spectral_distance)}});
      XCODEC_LOG_DEBUG("[eval] " << ref_rel << ": delay " << ms << " ms, STOI " << m.stoi);
    } catch (const Error& e) {
      failed.push_back({{"file", ref_rel}, {"degraded", deg_rel}, {"reason", e.what()}});
      XCODEC_LOG_WARN("[eval] skipping " << ref_rel << ": " << e.what());
    }
  }
  if (summary.files == 0)
    throw Error("eval: no pair could be scored; first failure: " +
                failed[0]["reason"].get<std::string>());

  nlohmann::json report;
  report["ref"] = o.ref_dir;
  report["deg"] = o.deg_dir;
  report["sample_rate"] = o.sample_rate;  // 0: each reference's own rate
  report["max_delay_ms"] = o.max_delay_ms;
  report["files_evaluated"] = summary.files;
  report["audio_seconds"] = audio_seconds;
  report["mean"] = {{"stoi", number(summary.stoi.mean())},
                    {"estoi", number(summary.estoi.mean())},
                    {"si_sdr_db", number(summary.si_sdr_db.mean())},
                    {"mel_distance", number(summary.mel_distance.mean())},
                    {"log_spectral_distance", number(summary.log_spectral_distance.mean())},
                    {"delay_ms", number(delay_ms.mean())}};
  report["delay_ms_range"] = {number(delay_ms.min()), number(delay_ms.max())};
  report["files"] = per_file;
  report["unmatched_ref"] = unmatched_ref;
  report["unmatched_deg"] = unmatched_deg;
  report["failed"] = failed;
  report["pesq"] =
      "not computed (PESQ's licence forbids redistribution; run an external pesq tool if you have "
      "one)";
  if (!o.output.empty()) io::write_file_atomic(o.output, report.dump(2) + "\n");
  return report;
}

}  // namespace xcodec::eval
