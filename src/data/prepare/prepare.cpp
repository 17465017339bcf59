#include "xcodec/data/prepare/prepare.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <ctime>
#include <exception>
#include <filesystem>
#include <map>
#include <mutex>
#include <new>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "data/prepare/prepare_state.h"
#include "data/prepare/progress.h"
#include "xcodec/audio/audio.h"
#include "xcodec/core/error.h"
#include "xcodec/core/logging.h"
#include "xcodec/core/version.h"
#include "xcodec/data/prepare/find_audio.h"
#include "xcodec/data/prepare/split_rule.h"
#include "xcodec/data/registry/registry.h"

namespace xcodec::data {

namespace fs = std::filesystem;

void PrepareConfig::validate() const {
  validate_dataset_name(dataset);
  if (input_dir.empty()) throw ConfigError("input_dir: required");
  if (output_dir.empty()) throw ConfigError("output_dir: required");
  if (sample_rate < 1000 || sample_rate > 384000) {
    throw ConfigError("sample_rate: expected 1000..384000 Hz, got " + std::to_string(sample_rate));
  }
  audio::parse_audio_file_format(format);  // throws ConfigError naming the value
  if (jobs < 0) throw ConfigError("jobs: expected >= 0, got " + std::to_string(jobs));
  if (!(val_fraction >= 0 && val_fraction < 1)) {
    throw ConfigError("val_fraction: expected [0, 1), got " + std::to_string(val_fraction));
  }
  if (!(test_fraction >= 0 && test_fraction < 1)) {
    throw ConfigError("test_fraction: expected [0, 1), got " + std::to_string(test_fraction));
  }
  if (val_fraction + test_fraction >= 1) {
    throw ConfigError("val_fraction + test_fraction must be < 1, got " +
                      std::to_string(val_fraction + test_fraction));
  }
  if (!(min_seconds >= 0)) {
    throw ConfigError("min_seconds: expected >= 0, got " + std::to_string(min_seconds));
  }
  if (!(max_seconds >= 0) || (max_seconds > 0 && max_seconds < min_seconds)) {
    throw ConfigError("max_seconds: expected 0 (no limit) or >= min_seconds, got " +
                      std::to_string(max_seconds));
  }
  if (progress != "auto" && progress != "bar" && progress != "lines" && progress != "none") {
    throw ConfigError("progress: expected auto, bar, lines or none, got '" + progress + "'");
  }
  if (!(file_time_limit_s >= 0)) throw ConfigError("file_time_limit_s: expected >= 0");
}

namespace {

std::atomic<bool> g_stop_requested{false};

extern "C" void on_stop_signal(int) { g_stop_requested.store(true); }

// Installs SIGINT/SIGTERM handlers for the lifetime of the object (a second signal kills the
// process as usual: SA_RESETHAND) and restores the previous ones.
class SignalGuard {
 public:
  explicit SignalGuard(bool enabled) : enabled_(enabled) {
    g_stop_requested.store(false);
    if (!enabled_) return;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~SignalGuard() {
    if (!enabled_) return;
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  bool enabled_;
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

// Exclusive, non-blocking lock on processed/NAME/.prepare.lock: two runs writing the same
// dataset at once would race on its files.
class DatasetLock {
 public:
  explicit DatasetLock(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw IoError("cannot open lock file '" + path + "': " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      throw IoError("another `xcodec prepare` is writing this dataset (lock '" + path + "' held)");
    }
  }
  ~DatasetLock() {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
  DatasetLock(const DatasetLock&) = delete;
  DatasetLock& operator=(const DatasetLock&) = delete;

 private:
  int fd_ = -1;
};

std::string now_iso8601() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The reader's messages start with "'<path>': "; in lists keyed by path that is redundant.
std::string strip_path_prefix(const std::string& message, const std::string& path) {
  const std::string prefix = "'" + path + "': ";
  if (message.rfind(prefix, 0) == 0) return message.substr(prefix.size());
  return message;
}

std::string fmt_seconds(double s) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(2);
  os << s;
  return os.str();
}

// Why a decoded file of `num_samples` is outside the duration limits ("" when inside).
std::string duration_reject_reason(int64_t num_samples, const PrepareConfig& c) {
  const double seconds = static_cast<double>(num_samples) / c.sample_rate;
  if (num_samples == 0) return "no audio samples";
  if (c.min_seconds > 0 && seconds < c.min_seconds) {
    return "too short (" + fmt_seconds(seconds) + " s < --min-seconds " +
           fmt_seconds(c.min_seconds) + ")";
  }
  if (c.max_seconds > 0 && seconds > c.max_seconds) {
    return "too long (" + fmt_seconds(seconds) + " s > --max-seconds " +
           fmt_seconds(c.max_seconds) + ")";
  }
  return "";
}

// Removes temporary files (`<name>.tmp.<pid>.<n>`) an interrupted run may have left.
void remove_stale_temporaries(const fs::path& dir) {
  static const std::regex kTemp(R"(.*\.tmp\.[0-9]+\.[0-9]+$)");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && std::regex_match(it->path().filename().string(), kTemp)) {
      fs::remove(it->path(), ec);
    }
  }
}

struct Candidate {
  SourceFile source;
  std::string output;  // relative to audio/
  Split split = Split::kTrain;
};

struct Task {
  size_t candidate = 0;  // index into candidates
};

}  // namespace

PrepareResult prepare_dataset(const PrepareConfig& config) {
  config.validate();
  const auto t0 = std::chrono::steady_clock::now();
  const audio::AudioFileFormat out_format = audio::parse_audio_file_format(config.format);
  const std::string out_ext = audio::file_extension(out_format);
  const std::string format_name = audio::audio_file_format_name(out_format);

  std::error_code ec;
  const fs::path input = fs::absolute(config.input_dir, ec);
  if (!fs::is_directory(input, ec)) {
    throw IoError("input folder '" + config.input_dir + "' does not exist or is not a folder");
  }
  const fs::path data_dir(config.output_dir);
  const fs::path dataset_dir = data_dir / "processed" / config.dataset;
  const fs::path audio_dir = dataset_dir / "audio";
  fs::create_directories(audio_dir, ec);
  if (ec) throw IoError("cannot create '" + audio_dir.string() + "': " + ec.message());
  const DatasetLock dataset_lock((dataset_dir / ".prepare.lock").string());
  const SignalGuard signals(config.handle_signals);
  remove_stale_temporaries(dataset_dir);

  PrepareResult result;
  result.dataset_dir = dataset_dir.string();

  // ---- 1. Find sources; decide split and output name of each ----------------------------------
  FoundFiles found =
      find_audio_files(input.string(), fs::absolute(data_dir / "processed", ec).string());
  for (const auto& link : found.dir_symlinks) {
    XCODEC_LOG_WARN("[data] not following directory symlink '" << link << "'");
  }
  result.found = static_cast<int64_t>(found.files.size());
  result.ignored = found.ignored;
  std::vector<SkippedFile> skipped = found.unreadable;

  std::vector<Candidate> candidates;
  std::map<std::string, std::string> output_owner;  // output rel path -> source rel path
  for (auto& f : found.files) {
    if (f.relative_path.find_first_of("\t\n\r") != std::string::npos) {
      skipped.push_back({f.relative_path, "file name contains a tab or newline"});
      continue;
    }
    Candidate c;
    c.output = fs::path(f.relative_path).replace_extension(out_ext).generic_string();
    const auto [it, inserted] = output_owner.emplace(c.output, f.relative_path);
    if (!inserted) {
      skipped.push_back({f.relative_path, "same output name '" + c.output + "' as '" + it->second +
                                              "' (rename one of them)"});
      continue;
    }
    c.split = assign_split(f.relative_path, config.val_fraction, config.test_fraction);
    c.source = std::move(f);
    candidates.push_back(std::move(c));
  }

  // ---- 2. Compare with the previous run's state -----------------------------------------------
  const std::string state_path = (dataset_dir / ".prepare-state.tsv").string();
  const std::string fingerprint = detail::state_fingerprint(config.sample_rate, format_name);
  std::string old_fingerprint;
  const detail::StateMap old_state = detail::read_state(state_path, &old_fingerprint);
  const bool reuse_allowed = old_fingerprint == fingerprint;
  if (!old_state.empty() && !reuse_allowed) {
    XCODEC_LOG_INFO("[data] sample rate or format changed since the last run ("
                    << old_fingerprint << "); converting everything again");
  }

  std::vector<detail::StateRow> rows(candidates.size());
  std::vector<bool> have_row(candidates.size(), false);
  std::vector<Task> tasks;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const Candidate& c = candidates[i];
    const auto it = reuse_allowed ? old_state.find(c.source.relative_path) : old_state.end();
    if (it != old_state.end() && it->second.size == c.source.size &&
        it->second.mtime_ns == c.source.mtime_ns) {
      const detail::StateRow& old = it->second;
      const bool output_present = old.status == "ok" && old.detail == c.output &&
                                  fs::is_regular_file(audio_dir / c.output, ec);
      const bool now_in_range = duration_reject_reason(old.num_samples, config).empty();
      if (output_present || old.status == "bad" || (old.status == "filtered" && !now_in_range)) {
        rows[i] = old;
        have_row[i] = true;
        continue;
      }
    }
    tasks.push_back({i});
  }
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (have_row[i] && rows[i].status != "bad") ++result.unchanged;
  }

  // ---- 3. Convert (worker threads), checkpointing the state -----------------------------------
  std::mutex rows_mu;
  std::atomic<size_t> next_task{0};
  std::atomic<bool> fatal{false};
  std::exception_ptr fatal_error;
  std::atomic<int64_t> converted_ms{0};
  const int jobs = std::max<int>(
      1, std::min<int>(config.jobs > 0
                           ? config.jobs
                           : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())),
                       static_cast<int>(std::max<size_t>(1, tasks.size()))));
  detail::Progress progress(config.progress, "prepare " + config.dataset,
                            static_cast<int64_t>(tasks.size()), config.progress_interval_s);
  audio::ReadOptions read_options;
  read_options.target_rate = config.sample_rate;
  read_options.time_limit_s = config.file_time_limit_s;
  if (!tasks.empty()) {
    XCODEC_LOG_INFO("[data] converting " << tasks.size() << " files with " << jobs << " threads ("
                                         << result.unchanged << " unchanged)");
  }

  auto worker = [&]() {
    while (!fatal.load() && !g_stop_requested.load()) {
      const size_t t = next_task.fetch_add(1);
      if (t >= tasks.size()) return;
      const size_t i = tasks[t].candidate;
      const Candidate& c = candidates[i];
      const std::string src = (input / c.source.relative_path).string();
      detail::StateRow row;
      row.size = c.source.size;
      row.mtime_ns = c.source.mtime_ns;
      double seconds = 0.0;
      try {
        audio::Audio a = audio::read_audio(src, read_options);
        row.num_samples = static_cast<int64_t>(a.samples.size());
        seconds = a.duration_s();
        const std::string why = duration_reject_reason(row.num_samples, config);
        if (!why.empty()) {
          row.status = "filtered";
        } else {
          const fs::path out = audio_dir / c.output;
          std::error_code dir_ec;
          fs::create_directories(out.parent_path(), dir_ec);
          try {
            if (dir_ec) throw IoError("cannot create '" + out.parent_path().string() + "'");
            audio::write_audio(out.string(), a, out_format);
          } catch (...) {
            // A failed write is our problem (disk full, permissions), not the file's: stop.
            std::lock_guard<std::mutex> lock(rows_mu);
            if (!fatal_error) fatal_error = std::current_exception();
            fatal.store(true);
            return;
          }
          row.status = "ok";
          row.detail = c.output;
          converted_ms.fetch_add(static_cast<int64_t>(seconds * 1000.0));
        }
      } catch (const Error& e) {
        row.status = "bad";
        row.detail = strip_path_prefix(e.what(), src);
      } catch (const std::bad_alloc&) {
        row.status = "bad";
        row.detail = "out of memory while decoding";
      } catch (const std::exception& e) {
        row.status = "bad";
        row.detail = std::string("unexpected error: ") + e.what();
      }
      {
        std::lock_guard<std::mutex> lock(rows_mu);
        rows[i] = std::move(row);
        have_row[i] = true;
      }
      progress.add(seconds);
    }
  };

  // The state on disk during the run: the old rows, overridden by the rows finished so far, so
  // an interrupted run loses at most one checkpoint interval of work.
  auto checkpoint = [&]() {
    detail::StateMap snapshot = reuse_allowed ? old_state : detail::StateMap{};
    {
      std::lock_guard<std::mutex> lock(rows_mu);
      for (size_t i = 0; i < candidates.size(); ++i) {
        if (have_row[i]) snapshot[candidates[i].source.relative_path] = rows[i];
      }
    }
    detail::write_state(state_path, fingerprint, snapshot);
  };

  {
    std::vector<std::thread> threads;
    if (!tasks.empty()) {
      for (int j = 0; j < jobs; ++j) threads.emplace_back(worker);
    }
    auto last_checkpoint = std::chrono::steady_clock::now();
    while (next_task.load() < tasks.size() && !fatal.load() && !g_stop_requested.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (std::chrono::steady_clock::now() - last_checkpoint > std::chrono::seconds(30)) {
        checkpoint();
        last_checkpoint = std::chrono::steady_clock::now();
      }
    }
    for (auto& t : threads) t.join();
  }
  progress.finish();
  if (fatal_error || g_stop_requested.load()) {
    checkpoint();
    if (fatal_error) std::rethrow_exception(fatal_error);
    throw Interrupted("prepare of '" + config.dataset +
                      "' interrupted; run the same command again to resume");
  }
  result.converted = 0;
  for (const Task& t : tasks) {
    if (rows[t.candidate].status == "ok") ++result.converted;
  }
  result.converted_hours = static_cast<double>(converted_ms.load()) / 3.6e6;

  // ---- 4. Split lists, stale outputs, metadata, state, registry -------------------------------
  std::array<std::vector<SplitEntry>, kNumSplits> lists;
  detail::StateMap new_state;
  std::set<std::string> live_outputs;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const Candidate& c = candidates[i];
    const detail::StateRow& row = rows[i];
    new_state[c.source.relative_path] = row;
    if (row.status == "bad") {
      skipped.push_back({c.source.relative_path, row.detail});
      continue;
    }
    if (row.status == "ok") live_outputs.insert(row.detail);
    const std::string why = duration_reject_reason(row.num_samples, config);
    if (!why.empty()) {
      skipped.push_back({c.source.relative_path, why});
      continue;
    }
    lists[static_cast<int>(c.split)].push_back({c.output, row.num_samples});
  }
  // Outputs we wrote in an earlier run whose source is gone (or renamed, or now bad).
  for (const auto& [rel, row] : old_state) {
    if (row.status != "ok" || live_outputs.count(row.detail) != 0) continue;
    // Only ever delete inside audio/, whatever a damaged state file says.
    const fs::path rel_out(row.detail);
    if (rel_out.empty() || rel_out.is_absolute() ||
        std::any_of(rel_out.begin(), rel_out.end(), [](const fs::path& c) { return c == ".."; })) {
      continue;
    }
    const fs::path stale = audio_dir / row.detail;
    if (fs::remove(stale, ec)) ++result.removed_stale;
  }
  std::sort(skipped.begin(), skipped.end(),
            [](const SkippedFile& a, const SkippedFile& b) { return a.path < b.path; });
  result.skipped = skipped;

  DatasetMetadata meta;
  const std::string meta_path = (dataset_dir / "metadata.json").string();
  meta.created = now_iso8601();
  if (fs::exists(meta_path, ec)) {
    try {
      meta.created = read_metadata(meta_path).created;
    } catch (const Error&) {
      // An unreadable old metadata.json is simply replaced.
    }
  }
  meta.name = config.dataset;
  meta.sample_rate = config.sample_rate;
  meta.audio_format = format_name;
  meta.source_dir = input.lexically_normal().string();
  meta.updated = now_iso8601();
  meta.xcodec_version = version();
  meta.val_fraction = config.val_fraction;
  meta.test_fraction = config.test_fraction;
  meta.min_seconds = config.min_seconds;
  meta.max_seconds = config.max_seconds;
  for (int s = 0; s < kNumSplits; ++s) {
    SplitSummary& sum = result.splits[s];
    for (const auto& e : lists[s]) sum.samples += e.num_samples;
    sum.files = static_cast<int64_t>(lists[s].size());
    sum.hours = static_cast<double>(sum.samples) / config.sample_rate / 3600.0;
    write_split_tsv((dataset_dir / split_file_name(static_cast<Split>(s))).string(), lists[s]);
  }
  meta.splits = result.splits;
  meta.skipped = skipped;
  write_metadata(meta_path, meta);
  detail::write_state(state_path, fingerprint, new_state);

  result.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::ostringstream summary;
  summary.setf(std::ios::fixed);
  summary.precision(3);
  summary << "[data] " << config.dataset << ": " << result.usable() << " files, " << result.hours()
          << " h (train " << result.splits[0].files << ", val " << result.splits[1].files
          << ", test " << result.splits[2].files << "); converted " << result.converted
          << ", unchanged " << result.unchanged << ", skipped " << result.skipped.size()
          << ", ignored " << result.ignored << " in " << result.wall_s << " s";
  if (result.converted_hours > 0) {
    summary << " (" << result.converted_hours / (std::max(result.wall_s, 1e-3) / 60.0)
            << " h audio/min)";
  }
  XCODEC_LOG_INFO(summary.str());
  if (result.removed_stale > 0) {
    XCODEC_LOG_INFO("[data] removed " << result.removed_stale
                                      << " outputs whose source files are gone");
  }
  if (!result.skipped.empty()) {
    constexpr size_t kShown = 20;
    XCODEC_LOG_WARN("[data] skipped " << result.skipped.size() << " files (all listed in "
                                      << meta_path << "):");
    for (size_t i = 0; i < std::min(kShown, result.skipped.size()); ++i) {
      XCODEC_LOG_WARN("[data]   " << result.skipped[i].path << ": " << result.skipped[i].reason);
    }
    if (result.skipped.size() > kShown) {
      XCODEC_LOG_WARN("[data]   ... and " << result.skipped.size() - kShown << " more");
    }
  }

  if (result.usable() == 0) {
    throw IoError("no usable audio in '" + input.string() + "' (" + std::to_string(result.found) +
                  " audio files found, " + std::to_string(result.skipped.size()) +
                  " skipped; see " + meta_path + ")");
  }
  DatasetEntry entry;
  entry.name = config.dataset;
  entry.path = (fs::path("processed") / config.dataset).generic_string();  // relative to DATA
  entry.sample_rate = config.sample_rate;
  entry.audio_format = format_name;
  entry.stats.train_samples = result.splits[0].files;
  entry.stats.val_samples = result.splits[1].files;
  entry.stats.test_samples = result.splits[2].files;
  entry.stats.train_hours = result.splits[0].hours;
  entry.stats.val_hours = result.splits[1].hours;
  entry.stats.test_hours = result.splits[2].hours;
  DatasetRegistry::update(data_dir.string(), entry);
  result.registered = true;
  if (config.strict && !result.skipped.empty()) {
    throw Error("--strict: " + std::to_string(result.skipped.size()) +
                " files were skipped (dataset written and registered; see " + meta_path + ")");
  }
  return result;
}

}  // namespace xcodec::data
