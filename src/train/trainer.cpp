#include "xcodec/train/trainer.h"

#include <torch/torch.h>

#include <unistd.h>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/torch_compat.h"
#include "train/metrics_log.h"
#include "train/mixed_precision.h"
#include "train/training_state.h"
#include "train/validation.h"
#include "xcodec/audio/audio.h"
#include "xcodec/core/error.h"
#include "xcodec/core/logging.h"
#include "xcodec/core/signals.h"
#include "xcodec/data/loading/audio_dataset.h"
#include "xcodec/data/loading/data_loader.h"
#include "xcodec/data/registry/registry.h"
#include "xcodec/eval/metrics/codec_stats.h"
#include "xcodec/io/atomic_file.h"
#include "xcodec/io/tensorboard_writer.h"
#include "xcodec/losses/gan_loss.h"
#include "xcodec/losses/mel_loss.h"
#include "xcodec/models/codecs/codec_registry.h"
#include "xcodec/models/discriminators/discriminator_set.h"
#include "xcodec/train/checkpoint.h"
#include "xcodec/train/distributed/data_parallel.h"
#include "xcodec/train/distributed/gradient_reducer.h"
#include "xcodec/train/feature_cache.h"
#include "xcodec/train/generator_step.h"
#include "xcodec/train/lr_schedule.h"
#include "xcodec/train/training_health.h"

namespace xcodec::train {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Rank r of a node trains on cuda:LOCAL_RANK (one process per GPU, as torchrun and srun place
// them).
torch::Device pick_device(const TrainerConfig& t, int local_rank) {
  if (t.accelerator == "cpu") return torch::kCPU;
  const bool cuda = torch::cuda::is_available();
  if ((t.accelerator == "cuda" || t.accelerator == "gpu") && !cuda) {
    throw ConfigError("train.trainer.accelerator=" + t.accelerator +
                      " but no CUDA device is available");
  }
  if (!cuda) return torch::kCPU;
  const int64_t n = static_cast<int64_t>(torch::cuda::device_count());
  if (local_rank >= n) {
    throw ConfigError("local rank " + std::to_string(local_rank) + " but only " +
                      std::to_string(n) + " CUDA device(s) on this node");
  }
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank));
}

std::vector<torch::Tensor> params_of(const torch::nn::Module& m) { return m.parameters(true); }

void set_requires_grad(const std::vector<torch::Tensor>& params, bool on) {
  for (auto p : params) p.requires_grad_(on);
}

bool finite(const torch::Tensor& t) { return std::isfinite(t.item<double>()); }

struct GeneratorPass {
  torch::Tensor y;  // [B, 1, L]
  models::CodecTrainOutput out;
};

struct StepStats {
  std::map<std::string, double> values;  // loss name → value (averaged over micro-batches)
  bool skipped = false;
};

class Trainer {
 public:
  explicit Trainer(const TrainingConfig& config)
      : cfg_(config),
        env_(DistributedEnv::from_environment()),
        device_(pick_device(config.train.trainer, env_.local_rank)) {
    cfg_.validate();
    // Under a launcher the environment gives the world size; devices is then 1 (not given) or
    // the processes per node.
    const int64_t devices = cfg_.train.trainer.devices;
    if (!env_.active() && devices > 1) {
      throw ConfigError("train.trainer.devices=" + std::to_string(devices) +
                        ": data-parallel runs are started by `xcodec train` (which launches one "
                        "process per device), torchrun or srun");
    }
    if (env_.active() && devices != 1 && devices != env_.local_world_size) {
      throw ConfigError("train.trainer.devices=" + std::to_string(devices) + " but the " +
                        env_.launcher + " launch runs " + std::to_string(env_.local_world_size) +
                        " process(es) on this node");
    }
    if (env_.active()) {
      if (env_.rank > 0) set_log_level(LogLevel::kWarn);  // rank 0 speaks for the group
      DataParallelOptions dpo;
      dpo.timeout = std::chrono::milliseconds(
          static_cast<int64_t>(1000.0 * cfg_.train.trainer.dist_timeout_s));
      dpo.cuda = device_.is_cuda();
      dp_ = std::make_unique<DataParallel>(env_, dpo);
      XCODEC_LOG_INFO("[dist] rank " << env_.rank << " of " << env_.world_size << " ("
                                     << env_.launcher << ", " << dp_->backend() << ", " << device_
                                     << "); global batch "
                                     << cfg_.dataset.train.batch_size * env_.world_size);
    }
    const Precision precision = cfg_.train.trainer.precision_kind();
    if (precision != Precision::kFloat32 && !device_.is_cuda()) {
      // LibTorch 1.13's CPU autocast leaves layer_norm/group_norm out of its float32 list and
      // their CPU kernels reject bf16 inputs with float32 weights: mixed precision is CUDA's.
      throw ConfigError("train.trainer.precision=" + cfg_.train.trainer.precision +
                        " needs a CUDA device; use \"32\" on CPU");
    }
    autocast_ = precision != Precision::kFloat32;
    autocast_dtype_ = precision == Precision::kBFloat16Mixed ? torch::kBFloat16 : torch::kFloat16;
    scaler_.enabled = precision == Precision::kFloat16Mixed;

    torch::manual_seed(static_cast<uint64_t>(cfg_.seed));
    models::CodecBuildOptions build;
    build.device = device_;
    build.training = true;
    build.seed = static_cast<uint64_t>(cfg_.seed);
    codec_ = models::build_codec(YAML::Dump(cfg_.model), build);
    info_ = codec_->info();
    const int64_t hop = info_.hop_length;
    if (cfg_.dataset.min_audio_length % hop != 0) {
      throw ConfigError(
          "dataset.min_audio_length=" + std::to_string(cfg_.dataset.min_audio_length) +
          " must be a multiple of the model's hop length " + std::to_string(hop));
    }
    if (cfg_.dataset.sample_rate != info_.sample_rate) {
      throw ConfigError("dataset.sample_rate=" + std::to_string(cfg_.dataset.sample_rate) +
                        " differs from the " + info_.name + " model's sample rate " +
                        std::to_string(info_.sample_rate) + " (model.sample_rate)");
    }
    codec_->prepare_for_training();
    codec_->module().train();
    // Discriminators only act on the generator through `adv` and `feat`: with both off (a
    // reconstruction-only recipe) building and training them would be wasted time.
    if (cfg_.train.weight("adv") > 0 || cfg_.train.weight("feat") > 0) {
      disc_ = models::make_discriminator_set(cfg_.discriminator);
    } else {
      XCODEC_LOG_INFO("[train] train.lambdas adv and feat are off: no discriminators are built");
    }
    if (disc_) {
      disc_->module().to(device_);
      disc_params_ = params_of(disc_->module());
    }
    gen_params_ = params_of(codec_->module());
    if (dp_) {
      // Two reducers, as the original's two DDP-wrapped modules: the discriminator's
      // gradients are averaged after its update's backward, the generator's after its own.
      gen_sync_ = std::make_unique<GradientReducer>(*dp_, gen_params_);
      if (!disc_params_.empty()) disc_sync_ = std::make_unique<GradientReducer>(*dp_, disc_params_);
    }

    opt_g_ = make_adamw(gen_params_, cfg_.train.gen_optimizer, cfg_.train.gen_scheduler);
    sched_g_ = std::make_unique<WarmupLrScheduler>(*opt_g_, cfg_.train.gen_scheduler);
    if (!disc_params_.empty()) {
      opt_d_ = make_adamw(disc_params_, cfg_.train.disc_optimizer, cfg_.train.disc_scheduler);
      sched_d_ = std::make_unique<WarmupLrScheduler>(*opt_d_, cfg_.train.disc_scheduler);
    }
    auto mel_opts = cfg_.train.mel_loss;
    mel_opts.sample_rate = static_cast<double>(info_.sample_rate);
    mel_loss_ = std::make_unique<losses::MultiResolutionMelLoss>(mel_opts);
    health_ = std::make_unique<TrainingHealth>(cfg_.train.health, info_.codebook_size);

    data::CorpusOptions corpus;
    corpus.data_dir = cfg_.data_dir;
    corpus.names = cfg_.dataset.names;
    corpus.weights = cfg_.dataset.weights;
    corpus.sample_rate = static_cast<int>(cfg_.dataset.sample_rate);
    corpus.crop_length = cfg_.dataset.min_audio_length;
    data::DataLoaderOptions lo;
    lo.batch_size = cfg_.dataset.train.batch_size;
    lo.shuffle = cfg_.dataset.train.shuffle;
    lo.num_workers = static_cast<int>(cfg_.dataset.num_workers);
    lo.prefetch_batches = static_cast<int>(cfg_.dataset.prefetch_batches);
    lo.seed = static_cast<uint64_t>(cfg_.seed);
    lo.rank = env_.rank;
    lo.world_size = env_.world_size;
    data::DatasetPtr train_set = data::make_corpus(corpus);
    if (const auto spec = codec_->feature_cache()) {
      // Cached conditioning (xcodec features) replaces computing it for the crops it covers.
      const auto registry = data::DatasetRegistry::load(cfg_.data_dir);
      std::map<std::string, std::shared_ptr<const FeatureCache>> caches;
      for (const auto& name : cfg_.dataset.names) {
        if (auto c = FeatureCache::open(registry, name, spec->layer, spec->width)) {
          XCODEC_LOG_INFO("[data] using cached teacher states of '" << name << "' from "
                                                                    << c->dir());
          caches[name] = c;
        }
      }
      if (!caches.empty()) {
        corpus.crop_align = hop;
        const int64_t frames = cfg_.dataset.min_audio_length / hop;
        train_set =
            data::map(data::make_corpus(corpus), [caches, hop, frames](data::Example ex, uint64_t) {
              const auto slash = ex.id.find('/');
              auto it = caches.find(ex.id.substr(0, slash));
              if (it != caches.end()) {
                if (auto f = it->second->frames(ex.id.substr(slash + 1), ex.offset / hop, frames))
                  ex.semantic = *f;
              }
              return ex;
            });
      }
    }
    // A corpus smaller than one batch still trains (with short batches) rather than failing.
    lo.drop_last = train_set->size() >= static_cast<size_t>(lo.batch_size);
    train_loader_ = std::make_unique<data::DataLoader>(train_set, lo);

    if (cfg_.train.val_every > 0) {
      corpus.split = data::Split::kVal;
      corpus.weights.clear();
      corpus.random_crop = false;  // the same crops every validation, comparable over time
      auto val = data::make_corpus(corpus);
      if (val->size() == 0) {
        XCODEC_LOG_WARN("[train] the val split of " << cfg_.dataset.names.size()
                                                    << " dataset(s) is empty: validation is off");
      } else {
        data::DataLoaderOptions vo = lo;
        vo.shuffle = false;
        vo.drop_last = false;
        vo.batch_size =
            std::min<int64_t>(cfg_.dataset.val.batch_size, static_cast<int64_t>(val->size()));
        vo.num_workers = 1;
        vo.rank = 0;  // validation runs on rank 0 over the whole split
        vo.world_size = 1;
        val_dataset_ = val;
        val_options_ = vo;
      }
    }
  }

  TrainResult fit() {
    if (main_rank()) {
      fs::create_directories(cfg_.log_dir);
      save_resolved_config(cfg_, "resolved by xcodec train");
    }
    resume_or_init();
    if (main_rank()) log_ = std::make_unique<MetricsLog>(cfg_.log_dir);

    TrainResult result;
    const int64_t max_steps = cfg_.train.trainer.max_steps;
    const int64_t start_step = step_;
    const bool tty = main_rank() && ::isatty(STDERR_FILENO);
    XCODEC_LOG_INFO("[train] " << (start_step > 0 ? "resuming at step " + std::to_string(start_step)
                                                  : "starting")
                               << " on " << device_ << "; " << max_steps << " steps; codec "
                               << count(gen_params_) << " params, discriminators "
                               << count(disc_params_) << " params; log_dir " << cfg_.log_dir);
    const auto run_start = Clock::now();
    double data_wait = 0.0;
    double step_time = 0.0;
    while (step_ < max_steps) {
      const bool stop = dp_ ? dp_->any(stop_requested()) : stop_requested();
      if (stop) {
        result.interrupted = true;
        break;
      }
      const auto t0 = Clock::now();
      std::vector<data::Batch> micro;
      for (int64_t i = 0; i < cfg_.train.trainer.accumulate_grad_batches; ++i)
        micro.push_back(train_loader_->next());
      const double waited = seconds_since(t0);
      StepStats stats = train_step(micro);
      ++step_;
      const double took = seconds_since(t0);
      data_wait += waited;
      step_time += took;
      if (stats.skipped) {
        ++nonfinite_;
        XCODEC_LOG_WARN("[train] step " << step_ << ": non-finite loss, step skipped ("
                                        << nonfinite_ << " in a row)");
        if (nonfinite_ >= cfg_.train.max_nonfinite_steps) {
          if (main_rank()) write_checkpoint(true, false);
          throw Error("training diverged: " + std::to_string(nonfinite_) +
                      " consecutive steps with NaN/Inf losses (train.max_nonfinite_steps); "
                      "last.ckpt was written");
        }
      } else {
        nonfinite_ = 0;
        last_mel_ = stats.values.at("mel");
        if (step_ == start_step + 1) result.first_mel_loss = last_mel_;
      }
      const bool log_now = step_ % std::max<int64_t>(1, cfg_.train.trainer.log_every) == 0 ||
                           step_ == max_steps || step_ == start_step + 1;
      HealthReport health;
      if (log_now) {
        health = health_->report();
        add_health_values(health, stats.values);
      }
      if (log_now && main_rank()) {
        const double done = static_cast<double>(step_ - start_step);
        const double rate = done / std::max(1e-9, seconds_since(run_start));
        const double wait_share = data_wait / std::max(1e-9, step_time);
        log_->log_step(step_, stats.values, rate, wait_share);
        const std::string line =
            progress_line(step_, max_steps, stats.values, health, rate, wait_share);
        if (tty && step_ != max_steps) {
          std::fprintf(stderr, "\r%s\033[K", line.c_str());
        } else {
          if (tty) std::fprintf(stderr, "\r\033[K");
          XCODEC_LOG_INFO(line);
        }
      }
      if (log_now) check_health(health);
      const bool validate_now =
          cfg_.train.val_every > 0 && val_dataset_ && step_ % cfg_.train.val_every == 0;
      const bool save_now =
          cfg_.train.checkpoint_every > 0 && step_ % cfg_.train.checkpoint_every == 0;
      if (main_rank() && validate_now) validate();
      if (main_rank() && save_now) result.last_checkpoint = write_checkpoint(true, true);
      // The other ranks wait here, not in the next collective, whose timeout is for failures.
      if (dp_ && (validate_now || save_now)) dp_->wait_for_rank0("validation/checkpoint");
    }
    if (tty) std::fprintf(stderr, "\n");
    if (main_rank() &&
        (step_ > start_step || result.interrupted || result.last_checkpoint.empty())) {
      result.last_checkpoint = write_checkpoint(true, false);
    }
    if (log_) log_->flush();
    if (dp_) check_replicas_agree();
    result.steps = step_;
    result.steps_this_run = step_ - start_step;
    result.last_mel_loss = last_mel_;
    XCODEC_LOG_INFO("[train] " << (result.interrupted ? "stopped" : "finished") << " at step "
                               << step_ << "; checkpoint " << result.last_checkpoint);
    return result;
  }

 private:
  static int64_t count(const std::vector<torch::Tensor>& ps) {
    int64_t n = 0;
    for (const auto& p : ps) n += p.numel();
    return n;
  }

  // One iteration: discriminator update, then generator update against the updated
  // discriminators (spec §11.2), both accumulated over the micro-batches.
  StepStats train_step(const std::vector<data::Batch>& micro) {
    StepStats stats;
    const double k = static_cast<double>(micro.size());
    std::vector<GeneratorPass> passes;
    bool finite_d = true;
    if (opt_d_) opt_d_->zero_grad();
    for (size_t mi = 0; mi < micro.size(); ++mi) {
      const data::Batch& b = micro[mi];
      GeneratorPass pass;
      pass.y = b.wav.to(device_).unsqueeze(1);
      const torch::Tensor features =
          b.semantic.defined() ? b.semantic.to(device_) : torch::Tensor();
      {
        AutocastScope ac(autocast_, autocast_dtype_);
        pass.out = codec_->forward_train(pass.y, features);
        if (opt_d_) {
          const auto real = disc_->forward(pass.out.target);
          const auto fake = disc_->forward(pass.out.recon.detach());
          auto d = losses::discriminator_adversarial_loss(real.logits, fake.logits);
          torch::Tensor loss_d = (d.real + d.fake) * cfg_.train.lambdas.at("disc");
          finite_d = finite_d && finite(loss_d);
          stats.values["loss_d"] += loss_d.item<double>() / k;
          stats.values["d_real"] += d.real.item<double>() / k;
          stats.values["d_fake"] += d.fake.item<double>() / k;
          // The last micro-batch's backward starts the all-reduce (earlier ones accumulate).
          if (disc_sync_ && mi + 1 == micro.size()) disc_sync_->prepare_for_backward();
          if (finite_d) scaler_.apply(loss_d / k).backward();
        }
      }
      passes.push_back(std::move(pass));
    }
    if (opt_d_) {
      if (disc_sync_) {
        disc_sync_->finish();  // every rank, also one that skipped backward
        stats.values["dist_wait_ms"] += 1000.0 * disc_sync_->last_wait_seconds();
        finite_d = !dp_->any(!finite_d);  // every rank skips together, or none does
      }
      if (finite_d) {
        const auto norm =
            unscale_clip_and_step(disc_params_, cfg_.train.disc_grad_clip, *opt_d_, *sched_d_);
        if (norm) stats.values["grad_norm_d"] = *norm;
      }
      opt_d_->zero_grad();
    }

    set_requires_grad(disc_params_, false);
    opt_g_->zero_grad();
    bool finite_g = true;
    for (size_t mi = 0; mi < passes.size(); ++mi) {
      GeneratorPass& pass = passes[mi];
      torch::Tensor loss_g;
      {
        AutocastScope ac(autocast_, autocast_dtype_);
        const GeneratorLoss g = generator_loss(cfg_.train, *mel_loss_, pass.out, disc_.get());
        loss_g = g.total;
        for (const auto& [name, t] : g.terms) stats.values[name] += t.item<double>() / k;
        for (const auto& [name, t] : pass.out.diagnostics)
          stats.values[name] += t.detach().item<double>() / k;
      }
      finite_g = finite_g && finite(loss_g);
      stats.values["loss_g"] += loss_g.item<double>() / k;
      if (gen_sync_ && mi + 1 == passes.size()) gen_sync_->prepare_for_backward();
      if (finite_g) {
        scaler_.apply(loss_g / k).backward();
        health_->observe_batch(pass.out.codes, pass.out.bound_input);
      }
    }
    bool stepped_g = false;
    if (gen_sync_) {
      gen_sync_->finish();
      stats.values["dist_wait_ms"] += 1000.0 * gen_sync_->last_wait_seconds();
      finite_g = !dp_->any(!finite_g);
    }
    if (finite_g) {
      const auto norm = unscale_clip_and_step(gen_params_, cfg_.train.gen_grad_clip, *opt_g_,
                                              *sched_g_, codec_->encoder_parameters());
      stepped_g = scaler_ok_;
      if (norm) stats.values["grad_norm_g"] = *norm;
    }
    scaler_.update(stepped_g);
    opt_g_->zero_grad();
    set_requires_grad(disc_params_, true);
    stats.values["lr_g"] = sched_g_->current_lr();
    if (sched_d_) stats.values["lr_d"] = sched_d_->current_lr();
    stats.skipped = !(finite_d && finite_g);
    return stats;
  }

  // Unscales the loss-scaled gradients (16-mixed), clips and steps; false from the scaler (an
  // Inf/NaN gradient) skips the step. train.trainer.clip_scaled_gradients=true clips while the
  // gradients are still scaled, as the original did (Lightning clipped before its scaler
  // unscaled inside optimizer.step), which makes clipping much stronger under 16-mixed.
  std::optional<double> unscale_clip_and_step(const std::vector<torch::Tensor>& params,
                                              double max_norm, torch::optim::Optimizer& opt,
                                              WarmupLrScheduler& sched,
                                              const std::vector<torch::Tensor>& watch = {}) {
    scaler_ok_ = false;
    std::optional<double> norm;
    if (cfg_.train.trainer.clip_scaled_gradients && scaler_.enabled) {
      if (max_norm > 0) norm = torch::nn::utils::clip_grad_norm_(params, max_norm);
      if (!scaler_.unscale(params)) return std::nullopt;
      if (!watch.empty()) health_->observe_encoder_grad_norm(grad_norm(watch));
      clip_and_step(params, 0.0, opt, sched);
    } else {
      if (!scaler_.unscale(params)) return std::nullopt;
      if (!watch.empty()) health_->observe_encoder_grad_norm(grad_norm(watch));
      norm = clip_and_step(params, max_norm, opt, sched);
    }
    scaler_ok_ = true;
    return norm;
  }

  static double grad_norm(const std::vector<torch::Tensor>& params) {
    double sum = 0;
    for (const auto& p : params) {
      if (p.grad().defined()) sum += p.grad().detach().pow(2).sum().item<double>();
    }
    return std::sqrt(sum);
  }

  // Every rank applies the same averaged gradients, so the weights must stay bit-identical; a
  // difference means the ranks diverged (a bug, or non-deterministic ops on some device).
  void check_replicas_agree() {
    torch::NoGradGuard no_grad;
    double sum = 0;
    double squares = 0;
    for (const auto* ps : {&gen_params_, &disc_params_}) {
      for (const auto& p : *ps) {
        const torch::Tensor d = p.detach().to(torch::kCPU, torch::kFloat64);
        sum += d.sum().item<double>();
        squares += d.pow(2).sum().item<double>();
      }
    }
    // (x + ... + x) / n may round in the last bit, a divergence is far larger.
    auto off = [](double mean, double mine) {
      return std::abs(mean - mine) > 1e-12 * std::max(1.0, std::abs(mine));
    };
    const double mean_sum = dp_->mean(sum);
    const double mean_squares = dp_->mean(squares);
    const bool differs = dp_->any(off(mean_sum, sum) || off(mean_squares, squares));
    if (differs) {
      throw Error("data-parallel: the ranks' weights differ after step " + std::to_string(step_) +
                  " (rank " + std::to_string(env_.rank) + ": sum " + std::to_string(sum) + ")");
    }
    XCODEC_LOG_INFO("[dist] weights identical on all " << env_.world_size << " ranks (sum " << sum
                                                       << ", sum of squares " << squares << ")");
  }

  // A collapse is an alarm, not a surprise: loud at once, and the end of the run once it has
  // lasted train.health.patience log intervals (unless train.stop_on_collapse is false).
  void check_health(const HealthReport& h) {
    if (h.collapsed && main_rank()) {
      XCODEC_LOG_WARN("[train] step " << step_ << ": WARNING " << h.diagnosis << " ("
                                      << h.collapsed_intervals << "/" << cfg_.train.health.patience
                                      << " intervals)");
    }
    bool stop = h.alarm && cfg_.train.stop_on_collapse;
    if (dp_) stop = dp_->any(stop);  // every rank stops together
    if (!stop) return;
    std::string where;
    if (main_rank()) where = "; last.ckpt written to " + write_checkpoint(true, false);
    throw TrainingCollapsed(
        "training stopped at step " + std::to_string(step_) + ": " +
        (h.diagnosis.empty() ? "codebook collapse on another rank" : h.diagnosis) + where +
        " (train.stop_on_collapse=false to continue anyway)");
  }

  void validate() {
    data::DataLoader loader(val_dataset_, val_options_);
    const int64_t limit =
        cfg_.train.trainer.limit_val_batches > 0
            ? std::min(cfg_.train.trainer.limit_val_batches, loader.batches_per_epoch())
            : loader.batches_per_epoch();
    const int64_t codebook = info_.codebook_size;
    const ValidationResult v =
        run_validation(*codec_, loader, limit, *mel_loss_, device_, cfg_.train.val_examples);
    log_->log_validation(step_, v, static_cast<int>(info_.sample_rate));
    XCODEC_LOG_INFO("[val] step " << step_ << ": mel " << v.mel_loss << ", codebook usage "
                                  << 100.0 * v.usage.usage << "%, perplexity " << v.usage.perplexity
                                  << ", " << v.codes_per_utt << " distinct codes per crop over "
                                  << v.items << " crops");
    for (const std::string& w : eval::code_usage_warnings(v.usage, codebook, v.codes_per_utt))
      XCODEC_LOG_WARN("[val] step " << step_ << ": warning: " << w);
  }

  TrainingState state() {
    return {*codec_,        disc_.get(),    *opt_g_, opt_d_.get(), *sched_g_,
            sched_d_.get(), *train_loader_, scaler_, step_,        nonfinite_};
  }

  // log_dir/last.ckpt and/or log_dir/step=N.ckpt; returns the path written last.
  std::string write_checkpoint(bool last, bool numbered) {
    std::vector<std::string> paths;
    if (numbered)
      paths.push_back(
          (fs::path(cfg_.log_dir) / ("step=" + std::to_string(step_) + ".ckpt")).string());
    if (last) paths.push_back((fs::path(cfg_.log_dir) / "last.ckpt").string());
    save_training_state(state(), cfg_, paths);
    return paths.empty() ? std::string() : paths.back();
  }

  // Data-parallel: rank 0 alone reads log_dir (it may exist only on rank 0's node) and sends the
  // checkpoint's bytes; every rank loads the same state, and then rank 0's weights are
  // broadcast (DDP does the same at construction), so all ranks start identical.
  void resume_or_init() {
    if (!dp_) {
      resume_or_init_local();
      return;
    }
    std::string chosen;
    if (main_rank()) chosen = resume_or_init_local();
    std::string bytes;
    if (main_rank() && !chosen.empty()) bytes = io::read_file(chosen);
    dp_->wait_for_rank0("checkpoint read");
    dp_->broadcast_bytes(bytes);
    if (!main_rank() && !bytes.empty()) {
      const fs::path tmp =
          fs::temp_directory_path() / ("xcodec-resume-rank" + std::to_string(env_.rank) + "-" +
                                       std::to_string(::getpid()) + ".ckpt");
      io::write_file_atomic(tmp.string(), bytes);
      try {
        CheckpointReader r(tmp.string());
        TrainingState st = state();
        load_training_state(r, st);
      } catch (...) {
        fs::remove(tmp);
        throw;
      }
      fs::remove(tmp);
    }
    std::vector<torch::Tensor> state_tensors = codec_->module().parameters(true);
    for (const auto& b : codec_->module().buffers(true)) state_tensors.push_back(b);
    if (disc_) {
      for (const auto& p : disc_->module().parameters(true)) state_tensors.push_back(p);
      for (const auto& b : disc_->module().buffers(true)) state_tensors.push_back(b);
    }
    dp_->broadcast(state_tensors);
  }

  // Returns the checkpoint resumed from ("" when none).
  std::string resume_or_init_local() {
    for (const auto& candidate : resume_candidates(cfg_.log_dir)) {
      try {
        CheckpointReader r(candidate);
        TrainingState st = state();
        load_training_state(r, st);
        XCODEC_LOG_INFO("[ckpt] resumed from " << candidate << " at step " << step_);
        return candidate;
      } catch (const Error& e) {
        XCODEC_LOG_WARN("[ckpt] cannot resume from " << candidate << ": " << e.what()
                                                     << "; trying the previous checkpoint");
      } catch (const std::exception& e) {
        XCODEC_LOG_WARN("[ckpt] cannot resume from " << candidate << ": " << e.what()
                                                     << "; trying the previous checkpoint");
      }
    }
    if (!cfg_.init_from.empty()) {
      // Generator weights only (e.g. the released model or an export); discriminators fresh.
      if (is_training_checkpoint(cfg_.init_from)) {
        CheckpointReader r(cfg_.init_from);
        r.load_module("model.", codec_->module());
      } else {
        codec_->load_weights(cfg_.init_from);
      }
      codec_->prepare_for_training();
      XCODEC_LOG_INFO("[train] initialised the codec from " << cfg_.init_from);
    }
    return "";
  }

  bool main_rank() const { return env_.rank == 0; }

  TrainingConfig cfg_;
  DistributedEnv env_;
  std::unique_ptr<DataParallel> dp_;
  std::unique_ptr<GradientReducer> gen_sync_;  // declared after dp_: destroyed before it
  std::unique_ptr<GradientReducer> disc_sync_;
  bool scaler_ok_ = false;  // the last unscale_clip_and_step stepped
  torch::Device device_;
  bool autocast_ = false;
  torch::ScalarType autocast_dtype_ = torch::kFloat32;
  LossScaler scaler_;
  std::unique_ptr<models::CodecModel> codec_;
  models::CodecInfo info_;
  std::unique_ptr<models::DiscriminatorSet> disc_;
  std::vector<torch::Tensor> gen_params_;
  std::vector<torch::Tensor> disc_params_;
  std::unique_ptr<torch::optim::AdamW> opt_g_;
  std::unique_ptr<torch::optim::AdamW> opt_d_;
  std::unique_ptr<WarmupLrScheduler> sched_g_;
  std::unique_ptr<WarmupLrScheduler> sched_d_;
  std::unique_ptr<losses::MultiResolutionMelLoss> mel_loss_;
  std::unique_ptr<TrainingHealth> health_;
  std::unique_ptr<data::DataLoader> train_loader_;
  data::DatasetPtr val_dataset_;
  data::DataLoaderOptions val_options_;
  std::unique_ptr<MetricsLog> log_;
  int64_t step_ = 0;
  int64_t nonfinite_ = 0;
  double last_mel_ = 0.0;
};

}  // namespace

TrainResult run_training(const TrainingConfig& config) {
  Trainer trainer(config);
  return trainer.fit();
}

}  // namespace xcodec::train
