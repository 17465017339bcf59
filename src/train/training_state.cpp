#include "train/training_state.h"

#include <torch/torch.h>

#include "xcodec/core/logging.h"

namespace xcodec::train {

void save_training_state(const TrainingState& s, const TrainingConfig& config,
                         const std::vector<std::string>& paths) {
  CheckpointWriter w;
  w.add_module("model.", s.codec.module());
  if (s.disc) w.add_module("", s.disc->module());
  w.add_optimizer("optim_g.", s.opt_g, s.codec.module());
  if (s.opt_d && s.disc) w.add_optimizer("optim_d.", *s.opt_d, s.disc->module());
  w.add_rng_state();
  const auto [epoch, batch] = s.loader.position();
  w.set_metadata("xcodec.checkpoint_version", "1");
  w.set_metadata(models::kMetaModel, s.codec.info().name);
  w.set_metadata(models::kMetaConfig, s.codec.config_yaml());
  w.set_metadata("xcodec.training_config", YAML::Dump(config.to_yaml()));
  w.set_metadata("xcodec.teacher_seed", std::to_string(config.seed));
  w.set_metadata("step", std::to_string(s.step));
  w.set_metadata("epoch", std::to_string(epoch));
  w.set_metadata("batch", std::to_string(batch));
  w.set_metadata("sched_g", std::to_string(s.sched_g.steps_taken()));
  w.set_metadata("sched_d", std::to_string(s.sched_d ? s.sched_d->steps_taken() : 0));
  w.set_metadata("nonfinite", std::to_string(s.nonfinite));
  w.set_metadata("loss_scale", std::to_string(s.scaler.scale));
  for (const auto& path : paths) {
    w.save(path);
    XCODEC_LOG_DEBUG("[ckpt] wrote " << path);
  }
}

void load_training_state(const CheckpointReader& r, TrainingState& s) {
  r.load_module("model.", s.codec.module());
  if (s.disc) r.load_module("", s.disc->module());
  r.load_optimizer("optim_g.", s.opt_g, s.codec.module());
  if (s.opt_d && s.disc) r.load_optimizer("optim_d.", *s.opt_d, s.disc->module());
  r.load_rng_state();
  s.step = std::stoll(r.metadata("step"));
  s.sched_g.set_steps_taken(std::stoll(r.metadata("sched_g")));
  if (s.sched_d) s.sched_d->set_steps_taken(std::stoll(r.metadata("sched_d")));
  s.nonfinite = std::stoll(r.metadata("nonfinite"));
  s.scaler.scale = std::stod(r.metadata("loss_scale"));
  s.loader.seek(std::stoll(r.metadata("epoch")), std::stoll(r.metadata("batch")));
}

}  // namespace xcodec::train
