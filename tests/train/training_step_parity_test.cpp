// Parity of the generator update with the original X-Codec-2.0 (../shared/fixtures/
// training-step, see its README): from the original's own initialisation, 8 updates of
// 15 × the multi-resolution mel loss on one fixed batch (semantic input zeros, dropout 0,
// AdamW lr 5e-4 constant, betas (0.8, 0.9), eps 1e-8, weight decay 0.01, clipping at 1.0),
// run with the pieces `xcodec train` runs: XCodec2Model::forward, generator_loss, make_adamw +
// WarmupLrScheduler, clip_and_step. Checked: every step-1 gradient before clipping, every
// step's loss, gradient norm and |quantizer input|, the weights after steps 1 and 8 (README
// tolerances), and the scale of our fresh initialisation against the original's.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/test_support.h"
#include "xcodec/io/safetensors.h"
#include "xcodec/models/codecs/xcodec2_model.h"
#include "xcodec/train/generator_step.h"

namespace xcodec::train {
namespace {

using xcodec::testing::fixture_path;
using TensorMap = std::map<std::string, torch::Tensor>;

const std::string kDir = "training-step/";

// The README's suggested tolerances (10-70x its 1-vs-2-thread noise floor).
constexpr double kLossRtol = 1e-4;         // per step, relative
constexpr double kGradModelRtol = 1e-4;    // step-1 gradients, ||Δ|| / ||g|| over the model
constexpr double kGradTensorRtol = 1e-2;   // ... and per tensor
constexpr double kWeightsStep1Rel = 2e-2;  // ||Δw|| / ||w_ref - w_init||, after step 1
constexpr double kWeightsStep8Rel = 5e-2;  // ... after step 8
// Not in the README. Gradient norm: at step 1 a function of the gradients (their tolerance);
// later, of weights that may differ by the tolerances above (measured: 1e-2 at step 8).
constexpr double kGradNormStep1Rtol = 1e-4;
constexpr double kGradNormRtol = 3e-2;
// Mean |quantizer input|: the fixture's statistic is 2.3 % below mean |project_in output| of
// the batch even at step 1, where the loss and the gradient norm agree to 1e-7 (and our forward
// with its weights_step1 gives our step-2 value to 7 digits), so it was measured in a way the
// README does not say. This bound still catches any drift of scale (the collapse is 1000x).
constexpr double kQuantizerInRtol = 5e-2;

const nlohmann::json& steps_json() {
  static const nlohmann::json j = [] {
    std::ifstream in(fixture_path(kDir + "steps.json"));
    nlohmann::json v;
    if (in) in >> v;
    return v;
  }();
  return j;
}

TensorMap load(const std::string& file) { return io::load_safetensors(fixture_path(kDir + file)); }

// The sizes of steps.json → config. codebook_size / codebook_dim / vq_commit_weight are unused
// by the original: its quantizer is always ResidualFSQ(dim=vq_dim, levels=[4]*8) (spec §6, G22).
models::XCodec2Config fixture_config() {
  const auto& c = steps_json().at("config");
  models::XCodec2Config cfg;
  const auto& e = c.at("codec_encoder");
  cfg.codec_encoder.ngf = e.at("ngf").get<int64_t>();
  cfg.codec_encoder.up_ratios = e.at("up_ratios").get<std::vector<int64_t>>();
  cfg.codec_encoder.dilations = e.at("dilations").get<std::vector<int64_t>>();
  cfg.codec_encoder.hidden_dim = e.at("hidden_dim").get<int64_t>();
  const auto& d = c.at("codec_decoder");
  auto& o = cfg.codec_decoder;
  o.hidden_dim = d.at("hidden_dim").get<int64_t>();
  o.depth = d.at("depth").get<int64_t>();
  o.heads = d.at("heads").get<int64_t>();
  o.pos_meb_dim = d.at("pos_meb_dim").get<int64_t>();
  o.hop_length = d.at("hop_length").get<int64_t>();
  o.vq_dim = d.at("vq_dim").get<int64_t>();
  o.vq_num_quantizers = d.at("vq_num_quantizers").get<int64_t>();
  o.levels = std::vector<int64_t>(8, 4);
  const int64_t s = c.at("semantic_dim").get<int64_t>();
  cfg.semantic.hidden_size = s;
  cfg.semantic.code_dim = s;
  cfg.semantic.channels = s;
  cfg.semantic.teacher = "none";
  cfg.validate();
  return cfg;
}

// The recipe's generator settings with the fixture's values (README, steps.json): mel only,
// constant lr (warm-up 0 and max = min = init), clipping at 1.0.
TrainConfig fixture_train_config() {
  const auto& j = steps_json();
  TrainConfig t;
  t.lambdas.set("mel", std::stod(j.at("loss").get<std::string>()));  // "15 * MultiResolution..."
  t.use_adv_loss = false;
  t.use_feat_loss = false;
  t.gen_optimizer.betas = j.at("betas").get<std::vector<double>>();
  t.gen_optimizer.eps = j.at("eps").get<double>();
  t.gen_optimizer.weight_decay = j.at("weight_decay").get<double>();
  const double lr = j.at("lr").get<double>();
  t.gen_scheduler.warmup_step = 0;
  t.gen_scheduler.down_step = 1;
  t.gen_scheduler.max_lr = t.gen_scheduler.min_lr = t.gen_scheduler.init_lr = lr;
  t.gen_grad_clip = j.at("grad_clip").get<double>();
  t.validate();
  return t;
}

struct StepRecord {
  double mel = 0, loss = 0, grad_norm = 0, quantizer_in_abs_mean = 0;
  int64_t distinct_codes = 0;
};

struct Run {
  std::vector<StepRecord> steps;
  TensorMap grads_step1;  // before clipping; only parameters that received a gradient
  TensorMap weights_step1, weights_step8;
};

TensorMap parameters_of(const models::XCodec2Model& codec) {
  TensorMap m;
  for (const auto& p : codec->named_parameters(true)) m[p.key()] = p.value().detach().clone();
  return m;
}

const Run& run() {
  static const Run r = [] {
    Run out;
    const TrainConfig cfg = fixture_train_config();
    models::XCodec2Model codec(fixture_config(), /*with_training_heads=*/true);
    const auto report = codec->load_weights(fixture_path(kDir + "init.safetensors"));
    EXPECT_TRUE(report.ok()) << report.summary();
    codec->prepare_for_training();
    for (const auto& m : codec->modules(/*include_self=*/false)) {
      if (auto* dropout = m->as<torch::nn::Dropout>()) dropout->options.p(0.0);
    }
    const std::vector<torch::Tensor> params = codec->parameters(true);
    auto optimizer = make_adamw(params, cfg.gen_optimizer, cfg.gen_scheduler);
    WarmupLrScheduler scheduler(*optimizer, cfg.gen_scheduler);
    const losses::MultiResolutionMelLoss mel(cfg.mel_loss);

    const torch::Tensor y = xcodec::testing::load_fixture(kDir + "batch.npy").unsqueeze(1);
    const int64_t frames = y.size(2) / codec->config.hop_length();
    const torch::Tensor semantic =
        torch::zeros({y.size(0), frames, codec->config.semantic.hidden_size});
    const int64_t n = steps_json().at("steps").get<int64_t>();
    for (int64_t step = 1; step <= n; ++step) {
      optimizer->zero_grad();
      const models::XCodec2ForwardOutput f = codec->forward(y, semantic);
      models::CodecTrainOutput forward;
      forward.recon = f.recon;
      forward.target = y;
      const GeneratorLoss g = generator_loss(cfg, mel, forward, nullptr);
      g.total.backward();
      if (step == 1) {
        for (const auto& p : codec->named_parameters(true)) {
          if (p.value().grad().defined()) out.grads_step1[p.key()] = p.value().grad().clone();
        }
      }
      StepRecord rec;
      rec.mel = g.terms.at("mel").item<double>();
      rec.loss = g.total.item<double>();
      rec.quantizer_in_abs_mean = f.quantizer_input.abs().mean().item<double>();
      rec.distinct_codes = std::get<0>(torch::_unique(f.codes.flatten())).numel();
      rec.grad_norm = clip_and_step(params, cfg.gen_grad_clip, *optimizer, scheduler).value();
      out.steps.push_back(rec);
      if (step == 1) out.weights_step1 = parameters_of(codec);
      if (step == n) out.weights_step8 = parameters_of(codec);
    }
    return out;
  }();
  return r;
}

/// ||got − want|| / ||want − from|| (from = 0 if absent), over all keys together and per key.
struct RelativeError {
  double model = 0;
  double worst = 0;
  std::string worst_key;
};

RelativeError relative_error(const TensorMap& got, const TensorMap& want,
                             const TensorMap* from = nullptr) {
  RelativeError r;
  double diff2 = 0, ref2 = 0;
  for (const auto& [key, w] : want) {
    const torch::Tensor ref = from ? (w - from->at(key)) : w;
    const double d = (got.at(key) - w).norm().item<double>();
    const double n = ref.norm().item<double>();
    diff2 += d * d;
    ref2 += n * n;
    const double rel = n > 0 ? d / n : (d > 0 ? INFINITY : 0.0);
    if (rel > r.worst) {
      r.worst = rel;
      r.worst_key = key;
    }
  }
  r.model = std::sqrt(diff2 / ref2);
  return r;
}

class TrainingStepParity : public xcodec::testing::SeededTest {};

TEST_F(TrainingStepParity, ConfigMatchesTheFixtureWeights) {
  const auto init = load("init.safetensors");
  models::XCodec2Model codec(fixture_config(), /*with_training_heads=*/true);
  const auto params = codec->named_parameters(true);
  for (const auto& p : params) {
    ASSERT_TRUE(init.count(p.key())) << p.key();
    EXPECT_EQ(p.value().sizes(), init.at(p.key()).sizes()) << p.key();
  }
  EXPECT_EQ(load("grads_step1.safetensors").size() + 8, params.size())
      << "all but fc_post_s (2) and SemanticDecoder_module (6) receive a gradient";
}

TEST_F(TrainingStepParity, Step1GradientsBeforeClipping) {
  const TensorMap want = load("grads_step1.safetensors");
  const TensorMap& got = run().grads_step1;
  // The same parameters have a gradient: fc_post_s and SemanticDecoder_module are off the loss
  // path and stay None in PyTorch (undefined here).
  std::vector<std::string> want_keys, got_keys;
  for (const auto& kv : want) want_keys.push_back(kv.first);
  for (const auto& kv : got) got_keys.push_back(kv.first);
  EXPECT_EQ(got_keys, want_keys);
  for (const auto& [key, w] : want) {
    if (!got.count(key)) continue;
    const double n = w.norm().item<double>();
    const double d = (got.at(key) - w).norm().item<double>();
    EXPECT_LE(d, kGradTensorRtol * n) << key << ": ||Δ|| " << d << ", ||g|| " << n;
  }
  if (got_keys != want_keys) return;
  const RelativeError e = relative_error(got, want);
  EXPECT_LE(e.model, kGradModelRtol) << "worst tensor " << e.worst_key << " " << e.worst;
  std::printf(
      "[ measured ] step-1 gradients: %.3g relative over the model (tolerance %.0e), "
      "worst tensor %.3g (%s; tolerance %.0e)\n",
      e.model, kGradModelRtol, e.worst, e.worst_key.c_str(), kGradTensorRtol);
}

TEST_F(TrainingStepParity, LossGradNormAndQuantizerInputPerStep) {
  const auto& want = steps_json().at("per_step");
  const auto& got = run().steps;
  ASSERT_EQ(got.size(), want.size());
  double worst_loss = 0, worst_norm = 0, worst_z = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const auto& w = want[i];
    auto rel = [](double a, double b) { return std::abs(a - b) / std::abs(b); };
    const double loss = w.at("loss").get<double>();
    const double norm = w.at("grad_norm_before_clip").get<double>();
    const double z = w.at("quantizer_in_abs_mean").get<double>();
    EXPECT_LE(rel(got[i].loss, loss), kLossRtol) << "step " << i + 1 << " loss " << got[i].loss;
    EXPECT_LE(rel(got[i].mel, w.at("mel").get<double>()), kLossRtol) << "step " << i + 1;
    EXPECT_LE(rel(got[i].grad_norm, norm), i == 0 ? kGradNormStep1Rtol : kGradNormRtol)
        << "step " << i + 1 << " grad norm " << got[i].grad_norm << " vs " << norm;
    EXPECT_LE(rel(got[i].quantizer_in_abs_mean, z), kQuantizerInRtol)
        << "step " << i + 1 << " |z| " << got[i].quantizer_in_abs_mean << " vs " << z;
    EXPECT_EQ(got[i].distinct_codes, w.at("distinct_codes").get<int64_t>()) << "step " << i + 1;
    worst_loss = std::max(worst_loss, rel(got[i].loss, loss));
    worst_norm = std::max(worst_norm, rel(got[i].grad_norm, norm));
    worst_z = std::max(worst_z, rel(got[i].quantizer_in_abs_mean, z));
  }
  std::printf(
      "[ measured ] worst over %zu steps: loss %.3g (tolerance %.0e), grad norm %.3g "
      "(%.0e), |quantizer input| %.3g (%.0e)\n",
      got.size(), worst_loss, kLossRtol, worst_norm, kGradNormRtol, worst_z, kQuantizerInRtol);
}

TEST_F(TrainingStepParity, WeightsAfterSteps1And8) {
  const TensorMap init = load("init.safetensors");
  const struct {
    const char* file;
    const TensorMap& got;
    double tolerance;
  } checks[] = {{"weights_step1.safetensors", run().weights_step1, kWeightsStep1Rel},
                {"weights_step8.safetensors", run().weights_step8, kWeightsStep8Rel}};
  for (const auto& c : checks) {
    const TensorMap all = load(c.file);
    TensorMap moved, unmoved;  // parameters only (the files also hold the constant buffers)
    for (const auto& [key, t] : c.got) {
      ASSERT_TRUE(all.count(key)) << key;
      (torch::equal(all.at(key), init.at(key)) ? unmoved : moved)[key] = all.at(key);
    }
    // Parameters the original never updated (gradient None: skipped by AdamW, no weight decay).
    for (const auto& [key, w] : unmoved) EXPECT_TRUE(torch::equal(c.got.at(key), w)) << key;
    const RelativeError e = relative_error(c.got, moved, &init);
    EXPECT_LE(e.model, c.tolerance) << c.file << ": worst tensor " << e.worst_key << " " << e.worst;
    std::printf(
        "[ measured ] %s: %.3g of the distance moved from init (tolerance %.0e); "
        "worst tensor %.3g (%s); %zu parameters unmoved\n",
        c.file, e.model, c.tolerance, e.worst, e.worst_key.c_str(), unmoved.size());
  }
}

TEST_F(TrainingStepParity, FreshInitialisationHasTheOriginalsScale) {
  // init.safetensors is the original's own initialisation (PyTorch defaults plus its custom
  // inits): every tensor of a fresh model must have the same root-mean-square, up to the
  // sampling noise of a tensor of n values (~0.45/sqrt(n) relative for a uniform init), and
  // the same exact zeros and constants.
  const TensorMap init = load("init.safetensors");
  torch::manual_seed(1024);
  models::XCodec2Model fresh(fixture_config(), /*with_training_heads=*/true);
  double worst = 0;  // |log rms ratio| over the tensors of 1000 values or more
  std::string worst_key;
  for (const auto& p : fresh->named_parameters(true)) {
    const torch::Tensor& want = init.at(p.key());
    const double ours = p.value().pow(2).mean().sqrt().item<double>();
    const double theirs = want.pow(2).mean().sqrt().item<double>();
    if (want.min().item<double>() == want.max().item<double>()) {
      EXPECT_TRUE(torch::equal(p.value(), want)) << p.key() << " is constant in the original";
      continue;
    }
    const double noise = 0.45 / std::sqrt(static_cast<double>(want.numel()));
    EXPECT_LE(std::abs(std::log(ours / theirs)), 0.05 + 4 * noise)
        << p.key() << ": rms " << ours << ", the original's " << theirs;
    if (want.numel() >= 1000 && std::abs(std::log(ours / theirs)) > worst) {
      worst = std::abs(std::log(ours / theirs));
      worst_key = p.key();
    }
  }
  std::printf(
      "[ measured ] fresh init vs the original's: rms within a factor %.3f for every "
      "tensor of >= 1000 values (worst %s)\n",
      std::exp(worst), worst_key.c_str());
}

}  // namespace
}  // namespace xcodec::train
