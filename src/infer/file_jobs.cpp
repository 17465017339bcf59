#include "xcodec/infer/file_jobs.h"

#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "xcodec/audio/audio.h"
#include "xcodec/audio/audio_extensions.h"
#include "xcodec/core/cpu_features.h"
#include "xcodec/core/error.h"
#include "xcodec/core/logging.h"
#include "xcodec/core/signals.h"
#include "xcodec/io/atomic_file.h"
#include "xcodec/io/npy.h"

namespace xcodec::infer {
namespace fs = std::filesystem;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool wanted(const fs::path& p, FileJobKind kind) {
  const std::string ext = lower(p.extension().string());
  return kind == FileJobKind::kDecode ? ext == ".npy"
                                      : audio::has_audio_extension(p.filename().string());
}

std::string output_extension(FileJobKind kind) {
  return kind == FileJobKind::kEncode ? ".npy" : ".wav";
}

// (input, output) pairs: a single file, or the tree under a folder mirrored under the output.
std::vector<std::pair<fs::path, fs::path>> plan(const FileJobOptions& o) {
  std::vector<std::pair<fs::path, fs::path>> out;
  std::error_code ec;
  if (fs::is_regular_file(o.input, ec)) {
    out.emplace_back(o.input, o.output);
    return out;
  }
  if (!fs::is_directory(o.input, ec)) throw IoError("input '" + o.input + "' does not exist");
  // directory_options::none: symlinked folders are not followed, so there are no loops.
  for (auto it = fs::recursive_directory_iterator(
           o.input, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file(ec) || !wanted(it->path(), o.kind)) continue;
    fs::path rel = fs::relative(it->path(), o.input);
    rel.replace_extension(output_extension(o.kind));
    out.emplace_back(it->path(), fs::path(o.output) / rel);
  }
  std::sort(out.begin(), out.end());
  if (out.empty())
    throw IoError("no " + std::string(o.kind == FileJobKind::kDecode ? ".npy" : "audio") +
                  " files under '" + o.input + "'");
  return out;
}

// Under torchrun or srun (RANK/WORLD_SIZE, else SLURM_PROCID/SLURM_NTASKS) a folder's files
// are split across the ranks: rank r takes the sorted list's items i with i % world == r, so
// the shares are disjoint and together cover the folder. (The variables are read here, not
// through train/distributed, which inference must not include.)
std::pair<int, int> launcher_rank() {
  auto read = [](const char* name) -> int {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::atoi(v) : -1;
  };
  int rank = read("RANK");
  int world = read("WORLD_SIZE");
  if (rank < 0 || world < 1) {
    rank = read("SLURM_PROCID");
    world = read("SLURM_NTASKS");
  }
  if (rank < 0 || world < 1 || rank >= world) return {0, 1};
  return {rank, world};
}

void write_wav(const fs::path& path, const std::vector<float>& samples, int rate) {
  audio::Audio a;
  a.samples = samples;
  a.sample_rate = rate;
  audio::write_audio(path.string(), a);
}

}  // namespace

void save_codes(const std::string& path, const Codes& codes) {
  torch::Tensor t = torch::from_blob(const_cast<int32_t*>(codes.data.data()),
                                     {codes.num_quantizers, codes.frames}, torch::kInt32);
  io::save_npy(path, t);
}

Codes load_codes(const std::string& path) {
  torch::Tensor t = io::load_npy(path);
  if (t.scalar_type() != torch::kInt32 && t.scalar_type() != torch::kInt64 &&
      t.scalar_type() != torch::kInt16) {
    throw ShapeError(path + ": codes must be integers (int16/int32/int64), got " +
                     std::string(c10::toString(t.scalar_type())));
  }
  if (t.dim() == 3 && t.size(0) == 1) t = t[0];  // [1, Q, T] as the original returns
  if (t.dim() == 1) t = t.unsqueeze(0);
  if (t.dim() != 2 || t.size(1) == 0) {
    throw ShapeError(path + ": codes must have shape [quantizers, frames], got " +
                     c10::str(t.sizes()));
  }
  if (t.scalar_type() == torch::kInt64 &&
      (t.max().item<int64_t>() > INT32_MAX || t.min().item<int64_t>() < INT32_MIN)) {
    throw ShapeError(path + ": code values overflow int32");
  }
  t = t.to(torch::kInt32).contiguous();
  Codes c;
  c.num_quantizers = t.size(0);
  c.frames = t.size(1);
  c.data.assign(t.data_ptr<int32_t>(), t.data_ptr<int32_t>() + t.numel());
  return c;
}

int default_threads_per_job(int jobs) {
  return std::max(1, usable_cpu_count() / std::max(1, jobs));
}

FileJobReport run_file_jobs(const Codec& codec, const FileJobOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  auto items = plan(o);
  std::error_code dir_ec;
  if (const auto [rank, world] = launcher_rank(); world > 1 && fs::is_directory(o.input, dir_ec)) {
    std::vector<std::pair<fs::path, fs::path>> mine;
    for (size_t i = static_cast<size_t>(rank); i < items.size(); i += static_cast<size_t>(world))
      mine.push_back(items[i]);
    XCODEC_LOG_INFO("[infer] rank " << rank << " of " << world << ": " << mine.size() << " of "
                                    << items.size() << " files");
    items = std::move(mine);
  }
  FileJobReport report;
  std::mutex mutex;
  std::atomic<size_t> next{0};
  std::atomic<int64_t> finished{0};
  const bool bar = o.progress == "auto" ? ::isatty(STDERR_FILENO) != 0 : false;
  const bool lines = o.progress == "lines" || (o.progress == "auto" && !bar);
  auto last_line = std::chrono::steady_clock::now();
  const char* verb = o.kind == FileJobKind::kEncode   ? "encode"
                     : o.kind == FileJobKind::kDecode ? "decode"
                                                      : "reconstruct";

  std::error_code type_ec;
  const bool single_file = fs::is_regular_file(o.input, type_ec);
  auto work = [&] {
    for (size_t i = next++; i < items.size() && !stop_requested(); i = next++) {
      const auto& [in, out] = items[i];
      double seconds = 0;
      bool skipped = false;
      std::string error;
      try {
        // An output file named on the command line is always (re)written: skipping it would
        // silently keep another model's result. Folders skip finished outputs (resume).
        if (!o.overwrite && !single_file && fs::exists(out)) {
          skipped = true;
        } else {
          if (out.has_parent_path()) fs::create_directories(out.parent_path());
          if (o.kind == FileJobKind::kDecode) {
            Codes c = load_codes(in.string());
            const auto wav = codec.decode(c);
            write_wav(out, wav, codec.sample_rate());
            seconds = static_cast<double>(wav.size()) / codec.sample_rate();
          } else {
            const audio::Audio a = audio::read_audio(in.string());
            seconds = a.duration_s();
            if (o.kind == FileJobKind::kEncode) {
              save_codes(out.string(), codec.encode(a.samples, a.sample_rate));
            } else {
              write_wav(out, codec.reconstruct(a.samples, a.sample_rate), a.sample_rate);
            }
          }
        }
      } catch (const Error& e) {
        error = e.what();
      } catch (const std::exception& e) {
        error = std::string("internal error: ") + e.what();
      }
      std::lock_guard<std::mutex> lock(mutex);
      if (!error.empty()) {
        report.failed.emplace_back(in.string(), error);
        XCODEC_LOG_WARN("[" << verb << "] skipping " << in.string() << ": " << error);
      } else if (skipped) {
        ++report.existing;
      } else {
        ++report.done;
        report.audio_seconds += seconds;
      }
      const int64_t n = ++finished;
      const double el =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double eta = n > 0 ? el / n * (items.size() - n) : 0;
      if (bar) {
        std::fprintf(stderr, "\r[%s] %lld/%zu files, %.1f min of audio, ETA %.0f s\033[K", verb,
                     static_cast<long long>(n), items.size(), report.audio_seconds / 60, eta);
      } else if (lines &&
                 (std::chrono::steady_clock::now() - last_line > std::chrono::seconds(10) ||
                  static_cast<size_t>(n) == items.size())) {
        last_line = std::chrono::steady_clock::now();
        XCODEC_LOG_INFO("[" << verb << "] " << n << "/" << items.size() << " files, ETA "
                            << static_cast<int>(eta) << " s");
      }
    }
  };
  const int jobs = std::max(1, std::min<int>(o.jobs, static_cast<int>(items.size())));
  std::vector<std::thread> threads;
  for (int j = 1; j < jobs; ++j) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  if (bar) std::fprintf(stderr, "\n");
  if (stop_requested()) throw Interrupted(std::string(verb) + ": interrupted; run again to resume");
  report.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace xcodec::infer
