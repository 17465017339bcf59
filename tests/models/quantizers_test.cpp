// The Quantizer seam (spec quantizers-and-variants.md §1–3, §5.2): registry and config, FSQ
// (legacy bound), residual FSQ adapter, LFQ, VQ and EMA-VQ. Expected numbers are computed by
// hand from the spec's formulas (the derivation is in the comment beside each).
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <set>

#include "support/test_support.h"
#include "xcodec/core/error.h"
#include "xcodec/models/quantizers/fsq_quantizer.h"
#include "xcodec/models/quantizers/lfq.h"
#include "xcodec/models/quantizers/quantizer.h"
#include "xcodec/models/quantizers/quantizer_config_yaml.h"
#include "xcodec/models/quantizers/residual_fsq.h"
#include "xcodec/models/quantizers/vector_quantizer.h"

namespace xm = xcodec::models;

namespace {

class QuantizerRegistry : public xcodec::testing::SeededTest {};
class QuantizerYaml : public xcodec::testing::SeededTest {};
class QuantizerFsq : public xcodec::testing::SeededTest {};
class QuantizerResidualFsq : public xcodec::testing::SeededTest {};
class QuantizerPrecision : public xcodec::testing::SeededTest {};
class QuantizerTraining : public xcodec::testing::SeededTest {};
class Lfq : public xcodec::testing::SeededTest {};
class Vq : public xcodec::testing::SeededTest {};
class EmaVq : public xcodec::testing::SeededTest {};

torch::Tensor t2(std::initializer_list<std::initializer_list<float>> rows) {
  std::vector<torch::Tensor> r;
  for (const auto& row : rows) r.push_back(torch::tensor(std::vector<float>(row)));
  return torch::stack(r);
}

double item(const torch::Tensor& t) { return t.item<double>(); }

xm::VectorQuantizer make_vq(bool ema, int64_t k, int64_t d, double decay, double eps,
                            double threshold) {
  xm::VectorQuantizerOptions o;
  o.dim = d;
  o.codebook_size = k;
  o.codebook_dim = d;
  o.ema = ema;
  o.decay = decay;
  o.eps = eps;
  o.dead_code_threshold = threshold;
  return xm::VectorQuantizer(o);
}

// Sets the codebook and the statistics as if trained; `initted` = 1 so no batch init happens.
void set_codebook(xm::VectorQuantizerImpl& q, const torch::Tensor& embed,
                  const torch::Tensor& cluster_size) {
  torch::NoGradGuard ng;
  q.embed.copy_(embed);
  q.cluster_size.copy_(cluster_size);
  if (q.options.ema) q.embed_avg.copy_(embed * cluster_size.unsqueeze(1));
  q.initted.fill_(1);
}

bool is_row_of(const torch::Tensor& row, const torch::Tensor& rows) {
  for (int64_t i = 0; i < rows.size(0); ++i)
    if (torch::equal(row, rows[i])) return true;
  return false;
}

// ---- registry and config --------------------------------------------------------------------

TEST_F(QuantizerRegistry, UnknownKindListsKnownOnes) {
  xm::QuantizerConfig c;
  c.kind = "rvq";
  try {
    xm::make_quantizer(c);
    FAIL() << "no exception";
  } catch (const xcodec::ConfigError& e) {
    EXPECT_STREQ(e.what(), "model.quantizer=rvq: unknown quantizer; known: fsq, lfq, ema, vq");
  }
  EXPECT_THROW(xm::natural_quantizer_dim(c), xcodec::ConfigError);
  EXPECT_EQ(xm::quantizer_kinds(), (std::vector<std::string>{"fsq", "lfq", "ema", "vq"}));
}

TEST_F(QuantizerRegistry, BuildsEveryKindAtItsNaturalWidth) {
  xm::QuantizerConfig c;  // fsq [8, 8, 8, 6, 5], codebook_size 16384, codebook_dim 8
  struct Want {
    const char* kind;
    int64_t dim;
    int64_t size;
  };
  for (const Want& w : {Want{"fsq", 5, 15360}, Want{"lfq", 14, 16384}, Want{"ema", 8, 16384},
                        Want{"vq", 8, 16384}}) {
    c.kind = w.kind;
    EXPECT_EQ(xm::natural_quantizer_dim(c), w.dim) << w.kind;
    auto q = xm::make_quantizer(c);
    EXPECT_EQ(q->kind(), w.kind);
    EXPECT_EQ(q->dim(), w.dim) << w.kind;
    EXPECT_EQ(q->codebook_size(), w.size) << w.kind;
    EXPECT_EQ(q->num_quantizers(), 1);
    // No projections at the natural width; the module registers under a parent by name.
    torch::nn::Module parent;
    parent.register_module("quantizer", q->module());
    for (const auto& p : parent.named_parameters())
      EXPECT_EQ(p.key().find("project_"), std::string::npos) << p.key();
    const auto out = q->quantize(torch::randn({2, 3, w.dim}));
    EXPECT_EQ(out.indices.sizes(), (std::vector<int64_t>{2, 3, 1}));
    EXPECT_EQ(out.indices.scalar_type(), torch::kInt32);
  }
  // A codec-chosen width adds the projections with the original key names.
  c.kind = "lfq";
  c.dim = 32;
  auto q = xm::make_quantizer(c);
  std::set<std::string> keys;
  for (const auto& p : q->module()->named_parameters()) keys.insert(p.key());
  for (const auto& b : q->module()->named_buffers()) keys.insert(b.key());
  EXPECT_EQ(keys, (std::set<std::string>{"project_in.weight", "project_in.bias",
                                         "project_out.weight", "project_out.bias", "mask"}));
}

TEST_F(QuantizerRegistry, ValidateNamesTheOffendingKey) {
  auto expect_key = [](xm::QuantizerConfig c, const std::string& key) {
    try {
      c.validate("model");
      ADD_FAILURE() << "no exception for " << key;
    } catch (const xcodec::ConfigError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("model." + key, 0), 0u) << e.what();
    }
  };
  xm::QuantizerConfig c;
  c.validate();
  c.levels = {8, 1};
  expect_key(c, "levels");
  c.levels = {65536, 65536};  // 2^32 codes do not fit int32
  expect_key(c, "levels");
  c.levels = {};
  expect_key(c, "levels");
  c = {};
  c.kind = "lfq";
  c.codebook_size = 1000;
  expect_key(c, "codebook_size");
  c.codebook_size = 1 << 17;
  expect_key(c, "codebook_size");
  c.codebook_size = 1 << 16;
  c.validate();
  c.entropy_weight = -0.1;
  expect_key(c, "entropy_weight");
  c = {};
  c.kind = "ema";
  c.codebook_size = 1000;  // any size is fine for ema
  c.validate();
  c.ema_decay = 1.0;
  expect_key(c, "ema_decay");
  c.ema_decay = 0.0;
  expect_key(c, "ema_decay");
  c = {};
  c.kind = "vq";
  c.commitment_weight = -1;
  expect_key(c, "commitment_weight");
  c = {};
  c.kind = "vq";
  c.dead_code_threshold = -1;
  expect_key(c, "dead_code_threshold");
  c = {};
  c.kind = "fsq";
  c.codebook_size = 1000;  // unused by fsq: not checked
  c.validate();
}

TEST_F(QuantizerYaml, ReadsOnlyItsKeysAndRoundTrips) {
  const YAML::Node node = YAML::Load(
      "quantizer: lfq\ncodebook_size: 4096\nentropy_weight: 0.05\nlevels: [8, 5, 5, 5]\n"
      "fsq_legacy_bound: false\nembed_dim: 768\n");
  xm::QuantizerConfig c;
  xm::read_quantizer_config(node, c, "model");  // embed_dim belongs to the codec: left alone
  EXPECT_EQ(c.kind, "lfq");
  EXPECT_EQ(c.codebook_size, 4096);
  EXPECT_DOUBLE_EQ(c.entropy_weight, 0.05);
  EXPECT_EQ(c.levels, (std::vector<int64_t>{8, 5, 5, 5}));
  EXPECT_FALSE(c.fsq_legacy_bound);
  EXPECT_DOUBLE_EQ(c.inv_temperature, 100.0);  // absent: default kept

  // Through the caller's reader: the quantizer keys count as known, the others do not.
  xcodec::io::YamlReader r(node, "model");
  xm::read_quantizer_config(r, c);
  try {
    r.finish();
    FAIL() << "embed_dim should be unknown";
  } catch (const xcodec::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("embed_dim"), std::string::npos) << e.what();
  }
  // A mistyped value names the key.
  try {
    xm::read_quantizer_config(YAML::Load("codebook_size: big"), c, "model");
    FAIL() << "no exception";
  } catch (const xcodec::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("model.codebook_size"), std::string::npos) << e.what();
  }

  YAML::Node out(YAML::NodeType::Map);
  out["embed_dim"] = 768;
  xm::write_quantizer_config(c, out);
  EXPECT_EQ(out.size(), xm::quantizer_config_keys().size() + 1);
  xm::QuantizerConfig back;
  back.kind = "vq";
  back.ema_eps = 0.5;
  xm::read_quantizer_config(YAML::Load(xcodec::io::emit_yaml(out)), back, "model");
  EXPECT_EQ(back.kind, c.kind);
  EXPECT_EQ(back.levels, c.levels);
  EXPECT_EQ(back.fsq_legacy_bound, c.fsq_legacy_bound);
  EXPECT_EQ(back.codebook_size, c.codebook_size);
  EXPECT_EQ(back.codebook_dim, c.codebook_dim);
  EXPECT_EQ(back.commitment_weight, c.commitment_weight);
  EXPECT_EQ(back.ema_decay, c.ema_decay);
  EXPECT_EQ(back.ema_eps, c.ema_eps);
  EXPECT_EQ(back.dead_code_threshold, c.dead_code_threshold);
  EXPECT_EQ(back.entropy_weight, c.entropy_weight);
  EXPECT_EQ(back.diversity_gamma, c.diversity_gamma);
  EXPECT_EQ(back.inv_temperature, c.inv_temperature);
}

// ---- FSQ ------------------------------------------------------------------------------------

// Spec §1.4 row 1 / Gotcha 3: bound(0) = tanh(tan(0.5/half_l))·half_l − 0.5 with half_l =
// (L−1)(1−1e-3)/2 is −1.4e-5 for L = 8 and −4.3e-4 for L = 4; the current bound gives ~0.
TEST_F(QuantizerFsq, LegacyBoundCentre) {
  xm::FsqOptions legacy;
  legacy.levels = {8, 4};
  legacy.legacy_bound = true;
  xm::FsqOptions current = legacy;
  current.legacy_bound = false;
  const torch::Tensor zero = torch::zeros({1, 2});
  const torch::Tensor b_old = xm::Fsq(legacy)->bound(zero);
  const torch::Tensor b_new = xm::Fsq(current)->bound(zero);
  EXPECT_NEAR(item(b_old[0][0]), -1.4e-5, 0.05e-5);
  EXPECT_NEAR(item(b_old[0][1]), -4.3e-4, 0.05e-4);
  EXPECT_NEAR(item(b_new[0][0]), 0.0, 1e-6);
  EXPECT_NEAR(item(b_new[0][1]), 0.0, 1e-6);
  // The legacy range is (−half_l − offset, half_l − offset), half_l = 7·0.999/2 for L = 8.
  const torch::Tensor big = xm::Fsq(legacy)->bound(torch::full({1, 2}, 30.0f));
  EXPECT_NEAR(item(big[0][0]), 7 * 0.999 / 2 - 0.5, 1e-5);
}

// Spec §5.2: index 12345 ↔ level indices [1, 7, 0, 0, 4] ↔ codes [−0.75, 0.75, −1, −1, 1] for
// levels [8, 8, 8, 6, 5] (basis [1, 8, 64, 512, 3072]: 1 + 7·8 + 4·3072 = 12345).
TEST_F(QuantizerFsq, DwanCodecIndexExample) {
  xm::QuantizerConfig c;  // fsq [8, 8, 8, 6, 5], legacy bound
  auto q = xm::make_quantizer(c);
  q->module()->eval();
  const torch::Tensor codes = q->dequantize(torch::full({1, 1, 1}, 12345, torch::kInt32));
  EXPECT_TENSOR_CLOSE(codes.view({5}), torch::tensor({-0.75f, 0.75f, -1.0f, -1.0f, 1.0f}), 0, 0);
  // An input whose legacy bound lands at 0.9·k for the integer codes k = [−3, 3, −4, −3, 2]:
  // z = atanh((0.9·k + offset) / half_l) − tan(offset / half_l), half_l = (L − 1)·0.999 / 2.
  const double levels[] = {8, 8, 8, 6, 5}, k[] = {-3, 3, -4, -3, 2};
  std::vector<float> z;
  for (int i = 0; i < 5; ++i) {
    const double half_l = (levels[i] - 1) * 0.999 / 2, offset = i < 4 ? 0.5 : 0.0;
    z.push_back(
        static_cast<float>(std::atanh((0.9 * k[i] + offset) / half_l) - std::tan(offset / half_l)));
  }
  const auto out = q->quantize(torch::tensor(z).view({1, 1, 5}));
  EXPECT_EQ(out.indices.item<int>(), 12345);
  EXPECT_TENSOR_CLOSE(out.quantized.view({5}), codes.view({5}), 0, 0);
  EXPECT_EQ(item(out.loss), 0.0);
  // Every index round-trips through codes.
  auto* fsq = dynamic_cast<xm::FsqQuantizerImpl*>(q.get());
  ASSERT_NE(fsq, nullptr);
  const torch::Tensor all = torch::arange(15360, torch::kInt32);
  EXPECT_TRUE(torch::equal(fsq->fsq->codes_to_indices(fsq->fsq->indices_to_codes(all)), all));
}

TEST_F(QuantizerFsq, ProjectionsRoundTripAndStraightThrough) {
  xm::FsqQuantizerOptions o;
  o.dim = 16;
  o.levels = {8, 5, 5, 5};
  o.legacy_bound = true;
  xm::FsqQuantizer q(o);
  ASSERT_TRUE(q->has_projections());
  const torch::Tensor x = torch::randn({2, 7, 16}, torch::requires_grad());
  const auto out = q->quantize(x);
  ASSERT_TRUE(out.bound_input.defined());
  EXPECT_EQ(out.bound_input.sizes(), (std::vector<int64_t>{2, 7, 4}));
  {
    torch::NoGradGuard ng;
    EXPECT_TENSOR_CLOSE(q->dequantize(out.indices), out.quantized, 1e-6, 0);
  }
  // Straight-through round: the gradient through the codes equals that of bound(z)/half_width.
  xm::FsqQuantizerOptions o2 = o;
  o2.dim = 4;
  xm::FsqQuantizer q2(o2);
  const torch::Tensor z = (torch::randn({3, 5, 4}) * 2).requires_grad_();
  q2->quantize(z).quantized.sum().backward();
  const torch::Tensor z2 = z.detach().clone().requires_grad_();
  (q2->fsq->bound(z2) / torch::tensor({4.0f, 2.0f, 2.0f, 2.0f})).sum().backward();
  EXPECT_TENSOR_CLOSE(z.grad(), z2.grad(), 1e-6, 1e-6);
  EXPECT_GT(item(z.grad().abs().min()), 0.0);
}

TEST_F(QuantizerResidualFsq, AdapterMatchesForwardAndKeepsKeys) {
  xm::ResidualFsqOptions o;
  o.dim = 32;
  o.num_quantizers = 2;
  xm::ResidualFsq q(o);
  std::shared_ptr<xm::Quantizer> as_quantizer = q.ptr();
  EXPECT_EQ(as_quantizer->kind(), "residual_fsq");
  EXPECT_EQ(as_quantizer->num_quantizers(), 2);
  EXPECT_EQ(as_quantizer->codebook_size(), 65536);
  EXPECT_EQ(as_quantizer->dim(), 32);
  const torch::Tensor x = torch::randn({2, 5, 32});
  const auto ref = q->forward(x);
  const auto out = as_quantizer->quantize(x);
  EXPECT_TRUE(torch::equal(out.quantized, ref.quantized));
  EXPECT_TRUE(torch::equal(out.indices, ref.indices));
  EXPECT_TRUE(torch::equal(out.bound_input, ref.projected));
  EXPECT_EQ(item(out.loss), 0.0);
  torch::NoGradGuard ng;
  EXPECT_TENSOR_CLOSE(as_quantizer->dequantize(out.indices), ref.quantized, 1e-6, 0);
  std::set<std::string> params;
  for (const auto& p : as_quantizer->module()->named_parameters()) params.insert(p.key());
  EXPECT_EQ(params, (std::set<std::string>{"project_in.weight", "project_in.bias",
                                           "project_out.weight", "project_out.bias"}));
  // Still Cloneable.
  auto copy = std::dynamic_pointer_cast<xm::ResidualFsqImpl>(q->clone());
  ASSERT_TRUE(copy);
  EXPECT_TRUE(torch::equal(copy->forward(x).quantized, ref.quantized));
}

// ---- LFQ ------------------------------------------------------------------------------------

// Dimension 0 is the most significant bit; x == 0 is bit 0 (−1); eval output = codes.
TEST_F(Lfq, IndexCodeRoundTripMsbFirst) {
  xm::LfqOptions o;
  o.dim = 3;
  o.codebook_size = 8;
  xm::Lfq q(o);
  q->eval();
  const torch::Tensor x = t2({{0.5f, -0.1f, 0.0f}, {0.0f, 0.0f, 2.0f}, {-1, 3, 3}}).view({1, 3, 3});
  const auto out = q->quantize(x);
  // bits (1,0,0) = 4, (0,0,1) = 1, (0,1,1) = 3
  EXPECT_TRUE(torch::equal(out.indices.view({3}), torch::tensor({4, 1, 3}, torch::kInt32)));
  EXPECT_TENSOR_CLOSE(out.quantized, t2({{1, -1, -1}, {-1, -1, 1}, {-1, 1, 1}}).view({1, 3, 3}), 0,
                      0);
  const torch::Tensor all = torch::arange(8, torch::kInt32).view({1, 8, 1});
  const torch::Tensor codes = q->dequantize(all);
  EXPECT_TRUE(torch::equal(q->quantize(codes).indices, all));
  EXPECT_TRUE(torch::equal(q->mask, torch::tensor({4, 2, 1}, torch::kLong)));
  // With projections, decoding the indices gives the eval output.
  o.dim = 10;
  xm::Lfq p(o);
  p->eval();
  torch::NoGradGuard ng;
  const auto po = p->quantize(torch::randn({2, 6, 10}));
  EXPECT_TENSOR_CLOSE(p->dequantize(po.indices), po.quantized, 1e-6, 0);
}

TEST_F(Lfq, StraightThroughGradientIsIdentity) {
  xm::LfqOptions o;
  o.dim = 4;
  o.codebook_size = 16;
  xm::Lfq q(o);
  const torch::Tensor x = torch::randn({2, 5, 4}, torch::requires_grad());
  const auto out = q->quantize(x);
  const torch::Tensor ones = torch::ones_like(x).detach();
  EXPECT_TENSOR_CLOSE(out.quantized.detach(), torch::where(x > 0, ones, -ones), 1e-6, 0);
  out.quantized.sum().backward();
  EXPECT_TENSOR_CLOSE(x.grad(), torch::ones_like(x), 0, 0);
}

// d = 2, inv_temperature 1, tokens (0, 0) and (a, 0) with a = ln 3 / 4. Codes in index order
// (MSB first): (−1,−1), (−1,1), (1,−1), (1,1). p ∝ exp(−||x − c||²):
//   token 1: all distances equal → p = 1/4 each, H = ln 4.
//   token 2: codes with bit0 = 1 are exp(4a) = 3 times likelier → p = (1/8, 1/8, 3/8, 3/8),
//            H = 2·(3/8)·ln(8/3) + 2·(1/8)·ln 8.
//   mean p = (3/16, 3/16, 5/16, 5/16) → codebook entropy = (3/8)·ln(16/3) + (5/8)·ln(16/5).
//   q = (−1,−1) (x == 0 → bit 0) and (1,−1): commitment = (1 + 1 + (1−a)² + 1) / 4.
TEST_F(Lfq, LossTermsByHand) {
  xm::LfqOptions o;
  o.dim = 2;
  o.codebook_size = 4;
  o.inv_temperature = 1.0;
  o.entropy_weight = 0.1;
  o.commitment_weight = 0.25;
  o.diversity_gamma = 1.0;
  xm::Lfq q(o);
  const double a = std::log(3.0) / 4;
  const auto out =
      q->quantize(torch::tensor({0.0f, 0.0f, static_cast<float>(a), 0.0f}).view({1, 2, 2}));
  const double per_sample =
      (std::log(4.0) + 0.75 * std::log(8.0 / 3) + 0.25 * std::log(8.0)) / 2;        // 1.320888
  const double codebook = 0.375 * std::log(16.0 / 3) + 0.625 * std::log(16.0 / 5);  // 1.354711
  const double commitment = (3 + (1 - a) * (1 - a)) / 4;                            // 0.881532
  EXPECT_NEAR(item(out.terms.at("entropy_per_sample")), per_sample, 1e-5);
  EXPECT_NEAR(item(out.terms.at("entropy_codebook")), codebook, 1e-5);
  EXPECT_NEAR(item(out.terms.at("commitment")), commitment, 1e-6);
  EXPECT_NEAR(item(out.loss), 0.1 * (per_sample - codebook) + 0.25 * commitment, 1e-6);
  EXPECT_TRUE(torch::equal(out.indices.view({2}), torch::tensor({0, 2}, torch::kInt32)));
  // diversity_gamma weighs the codebook entropy.
  o.diversity_gamma = 2.5;
  xm::Lfq q2(o);
  const auto out2 =
      q2->quantize(torch::tensor({0.0f, 0.0f, static_cast<float>(a), 0.0f}).view({1, 2, 2}));
  EXPECT_NEAR(item(out2.loss), 0.1 * (per_sample - 2.5 * codebook) + 0.25 * commitment, 1e-6);
  // Eval: no loss, no entropy terms.
  q->eval();
  const auto ev =
      q->quantize(torch::tensor({0.0f, 0.0f, static_cast<float>(a), 0.0f}).view({1, 2, 2}));
  EXPECT_EQ(item(ev.loss), 0.0);
  EXPECT_EQ(ev.terms.count("entropy_per_sample"), 0u);
}

// The chunked entropy (recomputed in backward) has the values and gradients of the direct
// formula, including where probabilities fall below the 1e-5 clamp.
TEST_F(Lfq, ChunkedEntropyMatchesDirectAutograd) {
  xm::LfqOptions o;
  o.dim = 5;
  o.codebook_size = 32;
  xm::Lfq q(o);
  const torch::Tensor cb = q->codebook();
  const torch::Tensor w = torch::randn({32});
  for (const double tau : {0.7, 10.0}) {
    const torch::Tensor x = torch::randn({11, 5}, torch::requires_grad());
    auto [s, avg] = xm::lfq_entropy_terms(x, cb, tau, /*chunk_tokens=*/3);
    (0.7 * s + (avg * w).sum()).backward();
    const torch::Tensor y = x.detach().clone().requires_grad_();
    const torch::Tensor dist = (y.unsqueeze(1) - cb.unsqueeze(0)).pow(2).sum(-1);  // [11, 32]
    const torch::Tensor p = torch::softmax(-dist * tau, -1);
    const torch::Tensor s_ref = (-(p * torch::log(p.clamp_min(1e-5))).sum(-1)).mean();
    const torch::Tensor avg_ref = p.mean(0);
    (0.7 * s_ref + (avg_ref * w).sum()).backward();
    EXPECT_NEAR(item(s), item(s_ref), 1e-5) << tau;
    EXPECT_TENSOR_CLOSE(avg, avg_ref.detach(), 1e-6, 1e-5);
    EXPECT_TENSOR_CLOSE(x.grad(), y.grad(), 1e-5, 1e-4);
  }
}

// ---- VQ / EMA-VQ ----------------------------------------------------------------------------

// Codes e0 = (0, 0), e1 = (2, 2); z = (0.2, 0), (0, 0.4) → e0 and (2, 3) → e1.
// mse(z, z_q) = (0.04 + 0.16 + 1) / 6 = 0.2 for both terms, loss = 0.2 + 0.25·0.2 = 0.25.
// d codebook / d e0 = (2/6)·(e0 − z1 + e0 − z2) = (−0.2/3, −0.4/3); d / d e1 = (0, −1/3).
TEST_F(Vq, LossAndCodebookGradientByHand) {
  auto q = make_vq(/*ema=*/false, 2, 2, 0.99, 1e-5, /*threshold=*/0);
  set_codebook(*q, t2({{0, 0}, {2, 2}}), torch::ones({2}));
  const torch::Tensor z = t2({{0.2f, 0}, {0, 0.4f}, {2, 3}}).view({1, 3, 2}).requires_grad_();
  const auto out = q->quantize(z);
  EXPECT_TRUE(torch::equal(out.indices.view({3}), torch::tensor({0, 0, 1}, torch::kInt32)));
  EXPECT_NEAR(item(out.terms.at("commitment")), 0.2, 1e-6);
  EXPECT_NEAR(item(out.terms.at("codebook")), 0.2, 1e-6);
  EXPECT_NEAR(item(out.loss), 0.25, 1e-6);
  // perplexity of usage (2/3, 1/3)
  EXPECT_NEAR(item(out.terms.at("perplexity")),
              std::exp(-(2.0 / 3 * std::log(2.0 / 3) + 1.0 / 3 * std::log(1.0 / 3))), 1e-5);
  out.loss.backward();
  EXPECT_TENSOR_CLOSE(q->embed.grad(), t2({{-0.2f / 3, -0.4f / 3}, {0, -1.0f / 3}}), 1e-6, 0);
  // Straight-through: the output's gradient reaches the input unchanged.
  const torch::Tensor z2 = z.detach().clone().requires_grad_();
  q->quantize(z2).quantized.sum().backward();
  EXPECT_TENSOR_CLOSE(z2.grad(), torch::ones_like(z2), 0, 0);
  // Eval: output = codes = dequantize(indices), no loss.
  q->eval();
  const auto ev = q->quantize(z.detach());
  EXPECT_TENSOR_CLOSE(ev.quantized, t2({{0, 0}, {0, 0}, {2, 2}}).view({1, 3, 2}), 0, 0);
  EXPECT_TENSOR_CLOSE(q->dequantize(ev.indices), ev.quantized, 0, 0);
  EXPECT_EQ(item(ev.loss), 0.0);
}

// Same batch, EMA with decay 0.5, eps 0.1, cluster_size (1, 1), embed_avg = embed:
//   counts (2, 1), sums (0.2, 0.4), (2, 3)
//   cluster_size = 0.5·1 + 0.5·(2, 1) = (1.5, 1.0)
//   embed_avg   = 0.5·e + 0.5·sums = (0.1, 0.2), (2, 2.5)
//   N' = (N + 0.1) / (2.5 + 2·0.1) · 2.5 = (40/27, 55/54)
//   embed = embed_avg / N' = (0.0675, 0.135), (2·54/55, 2.5·54/55)
// loss = 0.25 · commitment = 0.25 · 0.2; the output is the OLD codes.
TEST_F(EmaVq, UpdateByHand) {
  auto q = make_vq(/*ema=*/true, 2, 2, 0.5, 0.1, /*threshold=*/0);
  set_codebook(*q, t2({{0, 0}, {2, 2}}), torch::ones({2}));
  EXPECT_FALSE(q->embed.requires_grad());
  const torch::Tensor z = t2({{0.2f, 0}, {0, 0.4f}, {2, 3}}).view({1, 3, 2});
  const auto out = q->quantize(z);
  EXPECT_TENSOR_CLOSE(q->cluster_size, torch::tensor({1.5f, 1.0f}), 1e-6, 0);
  EXPECT_TENSOR_CLOSE(q->embed_avg, t2({{0.1f, 0.2f}, {2, 2.5f}}), 1e-6, 0);
  EXPECT_TENSOR_CLOSE(q->embed, t2({{0.0675f, 0.135f}, {2 * 54.0f / 55, 2.5f * 54 / 55}}), 1e-6, 0);
  EXPECT_NEAR(item(out.loss), 0.05, 1e-6);
  EXPECT_EQ(out.terms.count("codebook"), 0u);
  EXPECT_EQ(item(out.terms.at("dead_codes_replaced")), 0.0);
  EXPECT_TENSOR_CLOSE(out.quantized, t2({{0, 0}, {0, 0}, {2, 2}}).view({1, 3, 2}), 1e-6, 0);
  // Eval does not touch the statistics.
  q->eval();
  const torch::Tensor before = q->embed.clone();
  q->quantize(z);
  EXPECT_TRUE(torch::equal(q->embed, before));
  EXPECT_TENSOR_CLOSE(q->cluster_size, torch::tensor({1.5f, 1.0f}), 1e-6, 0);
}

// Codes (0,0), (5,5), (100,100) with cluster_size 2 each, decay 0.5, threshold 1.5. The batch
// uses code 0 twice and code 1 twice: cluster_size → (2, 2, 1), so code 2 (never used) is dead,
// gets a vector of the batch, cluster_size 1.5 and (ema) embed_avg = embed·1.5.
void check_dead_code_replacement(bool ema) {
  auto q = make_vq(ema, 3, 2, 0.5, 1e-5, /*threshold=*/1.5);
  set_codebook(*q, t2({{0, 0}, {5, 5}, {100, 100}}), torch::full({3}, 2.0f));
  const torch::Tensor batch = t2({{0.1f, 0}, {4.9f, 5}, {5, 5.1f}, {0, 0.1f}});
  const auto out = q->quantize(batch.view({1, 4, 2}));
  EXPECT_TRUE(torch::equal(out.indices.view({4}), torch::tensor({0, 1, 1, 0}, torch::kInt32)));
  EXPECT_EQ(item(out.terms.at("dead_codes_replaced")), 1.0);
  EXPECT_TRUE(is_row_of(q->embed[2].detach(), batch)) << q->embed;
  EXPECT_TENSOR_CLOSE(q->cluster_size, torch::tensor({2.0f, 2.0f, 1.5f}), 1e-6, 0);
  if (ema) {
    EXPECT_TENSOR_CLOSE(q->embed_avg[2], q->embed[2] * 1.5, 1e-6, 0);
    // The live codes moved toward their clusters instead: 0.5·(0,0)·2 + 0.5·(0.1,0.1) over N'.
    EXPECT_LT(item(q->embed[0].abs().max()), 0.1);
  } else {
    EXPECT_TRUE(torch::equal(q->embed[0].detach(), torch::zeros({2})));
  }
  // Next step: code 2 is used once (cluster_size 0.5·1.5 + 0.5 = 1.25 < 1.5) → replaced again;
  // a threshold of 0 never replaces.
  auto off = make_vq(ema, 3, 2, 0.5, 1e-5, /*threshold=*/0);
  set_codebook(*off, t2({{0, 0}, {5, 5}, {100, 100}}), torch::full({3}, 2.0f));
  const auto out_off = off->quantize(batch.view({1, 4, 2}));
  EXPECT_EQ(item(out_off.terms.at("dead_codes_replaced")), 0.0);
  // (ema: the unused code keeps embed_avg / cluster_size = 100 up to the Laplace smoothing.)
  EXPECT_TENSOR_CLOSE(off->embed[2].detach(), torch::full({2}, 100.0f), 0, ema ? 1e-4 : 0);
}

TEST_F(EmaVq, DeadCodeGetsBatchVector) { check_dead_code_replacement(true); }
TEST_F(Vq, DeadCodeGetsBatchVector) { check_dead_code_replacement(false); }

// The first training batch sets every code to a distinct batch vector (initted 0 → 1); eval
// never initialises.
TEST_F(Vq, FirstTrainingBatchInitialisesCodebook) {
  auto q = make_vq(/*ema=*/false, 4, 3, 0.99, 1e-5, /*threshold=*/0);
  const torch::Tensor batch = torch::randn({6, 3}) * 50;
  q->eval();
  q->quantize(batch.view({2, 3, 3}));
  EXPECT_EQ(item(q->initted[0]), 0.0);
  q->train();
  q->quantize(batch.view({2, 3, 3}));
  EXPECT_EQ(item(q->initted[0]), 1.0);
  std::set<int64_t> rows;
  for (int64_t k = 0; k < 4; ++k) {
    const torch::Tensor e = q->embed[k].detach();
    ASSERT_TRUE(is_row_of(e, batch)) << e;
    for (int64_t i = 0; i < 6; ++i)
      if (torch::equal(e, batch[i])) rows.insert(i);
  }
  EXPECT_EQ(rows.size(), 4u);  // without replacement
  // cluster_size 1 per code at init, then 0.99·1 + 0.01·uses: Σ = 0.99·4 + 0.01·6.
  EXPECT_NEAR(item(q->cluster_size.sum()), 4.02, 1e-5);
  // A second batch does not re-initialise.
  const torch::Tensor e1 = q->embed.detach().clone();
  q->quantize(torch::randn({1, 5, 3}));
  EXPECT_TRUE(torch::equal(q->embed.detach(), e1));
}

TEST_F(EmaVq, ProjectionsRoundTripAndKeys) {
  xm::QuantizerConfig c;
  c.kind = "ema";
  c.codebook_size = 16;
  c.codebook_dim = 4;
  c.dim = 12;
  auto q = xm::make_quantizer(c);
  std::set<std::string> keys;
  for (const auto& p : q->module()->named_parameters()) keys.insert(p.key());
  for (const auto& b : q->module()->named_buffers()) keys.insert(b.key());
  EXPECT_EQ(keys, (std::set<std::string>{"project_in.weight", "project_in.bias",
                                         "project_out.weight", "project_out.bias", "embed",
                                         "cluster_size", "embed_avg", "initted"}));
  q->quantize(torch::randn({2, 8, 12}));  // initialises from the batch
  q->module()->eval();
  torch::NoGradGuard ng;
  const auto out = q->quantize(torch::randn({2, 8, 12}));
  EXPECT_TENSOR_CLOSE(q->dequantize(out.indices), out.quantized, 0, 0);
}

// ---- all kinds ------------------------------------------------------------------------------

// Half-precision inputs are quantised in float32 and the output cast back (Gotcha 7).
TEST_F(QuantizerPrecision, HalfInputsQuantiseInFloat32) {
  for (const char* kind : {"fsq", "lfq", "ema", "vq"}) {
    xm::QuantizerConfig c;
    c.kind = kind;
    c.codebook_size = 64;
    c.codebook_dim = 6;
    auto q = xm::make_quantizer(c);
    q->quantize(torch::randn({1, 64, q->dim()}));  // vq/ema: codebook from this batch
    q->module()->eval();
    const torch::Tensor x = torch::randn({2, 9, q->dim()}).to(torch::kBFloat16);
    const auto half = q->quantize(x);
    const auto full = q->quantize(x.to(torch::kFloat32));
    EXPECT_EQ(half.quantized.scalar_type(), torch::kBFloat16) << kind;
    EXPECT_TRUE(torch::equal(half.indices, full.indices)) << kind;
    EXPECT_TRUE(torch::equal(half.quantized, full.quantized.to(torch::kBFloat16))) << kind;
  }
}

struct TrainResult {
  double initial_error = 0;
  double final_error = 0;
  int64_t distinct_codes = 0;
};

// Linear 16 → dim, quantizer, Linear dim → 16, Adam, 200 steps on fresh Gaussian batches of
// 256 vectors; errors are measured in eval mode on one fixed batch of 1024.
TrainResult train_tiny_autoencoder(const xm::QuantizerConfig& config) {
  auto q = xm::make_quantizer(config);
  const int64_t d = q->dim();
  torch::nn::Linear enc(16, d), dec(d, 16);
  std::vector<torch::Tensor> params;
  for (auto* m :
       std::vector<torch::nn::Module*>{enc.ptr().get(), dec.ptr().get(), q->module().get()})
    for (const auto& p : m->parameters()) params.push_back(p);
  torch::optim::Adam opt(params, torch::optim::AdamOptions(3e-3));
  const torch::Tensor eval_x = torch::randn({1, 1024, 16});
  auto evaluate = [&](TrainResult* r, bool final) {
    torch::NoGradGuard ng;
    q->module()->eval();
    const auto out = q->quantize(enc->forward(eval_x));
    const double err = torch::mse_loss(dec->forward(out.quantized), eval_x).item<double>();
    (final ? r->final_error : r->initial_error) = err;
    r->distinct_codes = std::get<0>(torch::_unique(out.indices)).numel();
    q->module()->train();
  };
  TrainResult r;
  evaluate(&r, false);
  for (int step = 0; step < 200; ++step) {
    const torch::Tensor x = torch::randn({4, 64, 16});
    const auto out = q->quantize(enc->forward(x));
    const torch::Tensor loss = torch::mse_loss(dec->forward(out.quantized), x) + out.loss;
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  evaluate(&r, true);
  return r;
}

void expect_trains(const xm::QuantizerConfig& c, int64_t min_codes) {
  const TrainResult r = train_tiny_autoencoder(c);
  EXPECT_LT(r.final_error, 0.85 * r.initial_error)
      << c.kind << ": " << r.initial_error << " -> " << r.final_error;
  // The data have unit variance: a decoder that ignores the codes cannot get below 1.
  EXPECT_LT(r.final_error, 0.9) << c.kind;
  EXPECT_GT(r.distinct_codes, min_codes) << c.kind;
}

TEST_F(QuantizerTraining, FsqAutoencoderTrains) {
  xm::QuantizerConfig c;
  c.levels = {8, 5, 5, 5};  // 1000 codes, width 4
  expect_trains(c, 150);
}

TEST_F(QuantizerTraining, LfqAutoencoderTrains) {
  xm::QuantizerConfig c;
  c.kind = "lfq";
  c.codebook_size = 256;  // width 8
  expect_trains(c, 64);
}

TEST_F(QuantizerTraining, EmaAutoencoderTrains) {
  xm::QuantizerConfig c;
  c.kind = "ema";
  c.codebook_size = 64;
  c.codebook_dim = 8;
  c.ema_decay = 0.9;
  expect_trains(c, 32);
}

TEST_F(QuantizerTraining, VqAutoencoderTrains) {
  xm::QuantizerConfig c;
  c.kind = "vq";
  c.codebook_size = 64;
  c.codebook_dim = 8;
  expect_trains(c, 32);
}

}  // namespace
