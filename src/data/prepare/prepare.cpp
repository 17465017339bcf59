#include "xcodec/data/prepare/prepare.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <exception>
#include <filesystem>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "data/prepare/convert_file.h"
#include "data/prepare/prepare_state.h"
#include "data/prepare/progress.h"
#include "data/prepare/run_guards.h"
#include "xcodec/audio/audio.h"
#include "xcodec/core/error.h"
#include "xcodec/core/logging.h"
#include "xcodec/core/version.h"
#include "xcodec/data/prepare/find_audio.h"
#include "xcodec/data/prepare/output_names.h"
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

std::string now_iso8601() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
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

// The plain output path of a source: its relative path with the stem's extension replaced, no
// escaping (the name a user expects; anything else is listed as renamed).
std::string plain_output_path(const std::string& source, const std::string& ext) {
  const size_t slash = source.rfind('/');
  const size_t start = slash == std::string::npos ? 0 : slash + 1;
  return source.substr(0, start) + file_stem(source.substr(start)) + ext;
}

// Only ever delete inside audio/, whatever a damaged state file says.
bool safe_relative(const std::string& rel) {
  const fs::path p(rel);
  return !p.empty() && !p.is_absolute() &&
         std::none_of(p.begin(), p.end(), [](const fs::path& c) { return c == ".."; });
}

struct Candidate {
  SourceFile source;
  std::string output;  // relative to audio/
  Split split = Split::kTrain;
};

struct Task {
  size_t candidate = 0;  // index into candidates
};

// The summary of a run: one line with the counts, then the first skipped files.
void log_summary(const std::string& dataset, const PrepareResult& r, const std::string& meta_path) {
  std::ostringstream summary;
  summary.setf(std::ios::fixed);
  summary.precision(3);
  summary << "[data] " << dataset << ": " << r.usable() << " files, " << r.hours() << " h (train "
          << r.splits[0].files << ", val " << r.splits[1].files << ", test " << r.splits[2].files
          << "); converted " << r.converted << ", unchanged " << r.unchanged << ", skipped "
          << r.skipped.size() << ", ignored " << r.ignored.size() << " (of " << r.found
          << " input files) in " << r.wall_s << " s";
  if (r.converted_hours > 0) {
    summary << " (" << r.converted_hours / (std::max(r.wall_s, 1e-3) / 60.0) << " h audio/min)";
  }
  XCODEC_LOG_INFO(summary.str());
  if (r.removed_stale > 0) {
    XCODEC_LOG_INFO("[data] removed " << r.removed_stale << " outputs whose source files are gone");
  }
  if (!r.renamed.empty()) {
    XCODEC_LOG_INFO("[data] " << r.renamed.size()
                              << " outputs have names other than their source's (escaped, "
                                 "shortened or disambiguated; listed in "
                              << meta_path << ")");
  }
  if (!r.skipped.empty()) {
    constexpr size_t kShown = 20;
    XCODEC_LOG_WARN("[data] skipped " << r.skipped.size() << " files (all listed in " << meta_path
                                      << "):");
    for (size_t i = 0; i < std::min(kShown, r.skipped.size()); ++i) {
      XCODEC_LOG_WARN("[data]   " << r.skipped[i].path << ": " << r.skipped[i].reason);
    }
    if (r.skipped.size() > kShown) {
      XCODEC_LOG_WARN("[data]   ... and " << r.skipped.size() - kShown << " more");
    }
  }
}

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
  const detail::DatasetLock dataset_lock((dataset_dir / ".prepare.lock").string());
  const detail::SignalGuard signals(config.handle_signals);
  remove_stale_temporaries(dataset_dir);

  PrepareResult result;
  result.dataset_dir = dataset_dir.string();

  // ---- 1. Find sources ------------------------------------------------------------------------
  FoundFiles found =
      find_audio_files(input.string(), fs::absolute(data_dir / "processed", ec).string());
  for (const auto& link : found.dir_symlinks) {
    XCODEC_LOG_WARN("[data] not following directory symlink '" << link << "'");
  }
  std::vector<SkippedFile> skipped = std::move(found.unreadable);
  std::vector<SkippedFile> ignored = std::move(found.ignored);

  // ---- 2. Previous run's state; output name and split of each source --------------------------
  const std::string state_path = (dataset_dir / ".prepare-state.tsv").string();
  const std::string fingerprint = detail::state_fingerprint(config.sample_rate, format_name);
  std::string old_fingerprint;
  const detail::StateMap old_state = detail::read_state(state_path, &old_fingerprint);
  const bool reuse_allowed = old_fingerprint == fingerprint;
  if (!old_state.empty() && !reuse_allowed) {
    XCODEC_LOG_INFO("[data] sample rate or format changed since the last run ("
                    << old_fingerprint << "); converting everything again");
  }
  std::vector<std::string> source_paths;
  std::vector<std::string> previous;
  for (const auto& f : found.files) {
    source_paths.push_back(f.relative_path);
    const auto it = reuse_allowed ? old_state.find(f.relative_path) : old_state.end();
    previous.push_back(it != old_state.end() && it->second.status == "ok" ? it->second.detail : "");
  }
  const std::vector<std::string> outputs = assign_output_names(
      source_paths, previous, out_ext, detail::max_output_name_bytes(audio_dir));
  std::vector<Candidate> candidates(found.files.size());
  std::set<std::string> assigned(outputs.begin(), outputs.end());
  for (size_t i = 0; i < candidates.size(); ++i) {
    candidates[i].source = std::move(found.files[i]);
    candidates[i].output = outputs[i];
    candidates[i].split =
        assign_split(candidates[i].source.relative_path, config.val_fraction, config.test_fraction);
  }
  // Earlier outputs that no source has now are removed before converting: one may sit where a
  // new output or its folder goes.
  for (const auto& [rel, row] : old_state) {
    if (row.status == "ok" && assigned.count(row.detail) == 0 && safe_relative(row.detail) &&
        fs::remove(audio_dir / row.detail, ec)) {
      ++result.removed_stale;
    }
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
      const bool now_in_range = detail::duration_reject_reason(old.num_samples, config).empty();
      if (output_present || old.status == "bad" || old.status == "ignored" ||
          (old.status == "filtered" && !now_in_range)) {
        rows[i] = old;
        have_row[i] = true;
        continue;
      }
    }
    tasks.push_back({i});
  }
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (have_row[i] && (rows[i].status == "ok" || rows[i].status == "filtered")) {
      ++result.unchanged;
    }
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
    XCODEC_LOG_INFO("[data] examining " << tasks.size() << " files with " << jobs << " threads ("
                                        << result.unchanged << " unchanged)");
  }

  auto worker = [&]() {
    while (!fatal.load() && !detail::stop_requested()) {
      const size_t t = next_task.fetch_add(1);
      if (t >= tasks.size()) return;
      const size_t i = tasks[t].candidate;
      detail::StateRow row;
      row.size = candidates[i].source.size;
      row.mtime_ns = candidates[i].source.mtime_ns;
      double seconds = 0.0;
      try {
        row = detail::convert_file(input, audio_dir, candidates[i].source, candidates[i].output,
                                   config, read_options, out_format, &seconds);
        if (row.status == "ok") converted_ms.fetch_add(static_cast<int64_t>(seconds * 1000.0));
      } catch (const detail::WriteFailed& w) {
        std::lock_guard<std::mutex> lock(rows_mu);
        if (!fatal_error) fatal_error = w.error;
        fatal.store(true);
        return;
      } catch (const std::exception& e) {
        // Whatever else goes wrong with one file stays with that file.
        row.status = "bad";
        row.detail = std::string("unexpected error: ") + e.what();
      } catch (...) {
        row.status = "bad";
        row.detail = "unexpected error";
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
    while (next_task.load() < tasks.size() && !fatal.load() && !detail::stop_requested()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (std::chrono::steady_clock::now() - last_checkpoint > std::chrono::seconds(30)) {
        checkpoint();
        last_checkpoint = std::chrono::steady_clock::now();
      }
    }
    for (auto& t : threads) t.join();
  }
  progress.finish();
  if (fatal_error || detail::stop_requested()) {
    checkpoint();
    if (fatal_error) std::rethrow_exception(fatal_error);
    throw Interrupted("prepare of '" + config.dataset +
                      "' interrupted; run the same command again to resume");
  }
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
    if (row.status == "ignored") {
      ignored.push_back({c.source.relative_path, row.detail});
      continue;
    }
    if (row.status == "ok") live_outputs.insert(row.detail);
    const std::string why = detail::duration_reject_reason(row.num_samples, config);
    if (!why.empty()) {
      skipped.push_back({c.source.relative_path, why});
      continue;
    }
    lists[static_cast<int>(c.split)].push_back({c.output, row.num_samples});
    if (c.output != plain_output_path(c.source.relative_path, out_ext)) {
      result.renamed.push_back({c.source.relative_path, c.output});
    }
  }
  // Outputs we wrote in an earlier run whose source is gone, renamed or now unusable.
  for (const auto& [rel, row] : old_state) {
    if (row.status != "ok" || live_outputs.count(row.detail) != 0 || !safe_relative(row.detail)) {
      continue;
    }
    if (fs::remove(audio_dir / row.detail, ec)) ++result.removed_stale;
  }
  const auto by_path = [](const SkippedFile& a, const SkippedFile& b) { return a.path < b.path; };
  std::sort(skipped.begin(), skipped.end(), by_path);
  std::sort(ignored.begin(), ignored.end(), by_path);
  result.skipped = skipped;
  result.ignored = ignored;
  for (int s = 0; s < kNumSplits; ++s) {
    // Sorted by output path (a renamed output need not sort like its source).
    std::sort(lists[s].begin(), lists[s].end(), [](const SplitEntry& a, const SplitEntry& b) {
      return a.relative_path < b.relative_path;
    });
    SplitSummary& sum = result.splits[s];
    for (const auto& e : lists[s]) sum.samples += e.num_samples;
    sum.files = static_cast<int64_t>(lists[s].size());
    sum.hours = static_cast<double>(sum.samples) / config.sample_rate / 3600.0;
  }
  result.found = result.usable() + static_cast<int64_t>(skipped.size() + ignored.size());

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
  meta.format_version = 2;
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
    write_split_tsv((dataset_dir / split_file_name(static_cast<Split>(s))).string(), lists[s]);
  }
  meta.splits = result.splits;
  meta.found = result.found;
  meta.converted = result.usable();
  meta.skipped = skipped;
  meta.ignored = ignored;
  meta.renamed = result.renamed;
  write_metadata(meta_path, meta);
  detail::write_state(state_path, fingerprint, new_state);

  result.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  log_summary(config.dataset, result, meta_path);

  if (result.usable() == 0) {
    throw IoError("no usable audio in '" + input.string() + "' (" + std::to_string(result.found) +
                  " input files: " + std::to_string(result.skipped.size()) + " skipped, " +
                  std::to_string(result.ignored.size()) + " ignored; see " + meta_path + ")");
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
