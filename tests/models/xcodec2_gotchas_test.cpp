// One small test per detail that silently changes X-Codec-2.0's outputs (spec xcodec2.md §14),
// plus equivalence checks of the fast inference paths against the literal formulations.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "support/test_support.h"
#include "xcodec/core/error.h"
#include "xcodec/models/codecs/xcodec2_model.h"
#include "xcodec/models/layers/activation1d.h"
#include "xcodec/models/layers/istft_head.h"
#include "xcodec/models/layers/rotary_embedding.h"
#include "xcodec/models/layers/snake_beta.h"
#include "xcodec/models/layers/transformer_block.h"
#include "xcodec/models/layers/wn_conv1d.h"
#include "xcodec/models/quantizers/residual_fsq.h"
#include "xcodec/models/semantic/semantic_adapter.h"

namespace xm = xcodec::models;

namespace {

class Gotchas : public xcodec::testing::SeededTest {};

// G1: p = hop - N mod hop is never 0; an aligned input gains a full frame of zeros.
TEST_F(Gotchas, PaddingRuleAlwaysAddsSamples) {
  EXPECT_EQ(xm::padding_for(34080, 320), 160);
  EXPECT_EQ(xm::padding_for(48000, 320), 320);  // spec worked example: T = 151
  EXPECT_EQ((48000 + xm::padding_for(48000)) / 320, 151);
  EXPECT_EQ(xm::padding_for(0, 320), 320);
  EXPECT_EQ(xm::padding_for(1, 320), 319);
  EXPECT_EQ(xm::padding_for(319, 320), 1);
  const torch::Tensor w = torch::randn({2, 1, 640});
  const torch::Tensor p = xm::pad_for_encoding(w, 320);
  ASSERT_EQ(p.size(2), 960);
  EXPECT_TRUE(torch::equal(p.narrow(2, 0, 640), w));
  EXPECT_EQ(p.narrow(2, 640, 320).abs().sum().item<double>(), 0.0);
  EXPECT_THROW(xm::padding_for(10, 0), xcodec::ConfigError);
}

// G6/G7: double bound, asymmetric L=4 codes, dimension 0 least significant, int32.
TEST_F(Gotchas, FsqDoubleBoundThresholds) {
  xm::ResidualFsqOptions o;
  o.dim = 8;  // = codebook dim: no projections, the quantizer sees z directly
  xm::ResidualFsq q(o);
  EXPECT_FALSE(q->has_projections());
  // Thresholds of the double bound on z: -0.80943, -0.24341, 0.40788 (single bound: -1.14972,
  // -0.34620, 0.45732). Probe between them where the two disagree.
  const std::vector<float> z = {-1.0f, -0.9f, -0.3f, -0.25f, 0.42f, 0.44f, 0.0f, 5.0f};
  const std::vector<float> want = {-1.0f, -1.0f, -0.5f, -0.5f, 0.5f, 0.5f, 0.0f, 0.5f};
  const auto out = q->forward(torch::tensor(z).view({1, 1, 8}));
  EXPECT_TENSOR_CLOSE(out.codes.view({8}), torch::tensor(want), 0.0, 0.0);
  EXPECT_EQ(out.indices.scalar_type(), torch::kInt32);
  int64_t index = 0;
  int64_t basis = 1;
  for (const float c : want) {
    index += static_cast<int64_t>(c * 2 + 2) * basis;
    basis *= 4;
  }
  EXPECT_EQ(out.indices.item<int64_t>(), index);
  // The bound never leaves (-1.8958, 0.8116) after two applications.
  const torch::Tensor big =
      torch::tensor({-100.0f, 100.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f}).view({1, 1, 8});
  const auto ob = q->forward(big);
  auto fsq = q->layers[0]->as<xm::FsqImpl>();
  const torch::Tensor twice = fsq->bound(ob.bounded);
  EXPECT_NEAR(twice[0][0][0].item<double>(), -1.8958, 1e-3);
  EXPECT_NEAR(twice[0][0][1].item<double>(), 0.8116, 1e-3);
}

TEST_F(Gotchas, FsqIndexCodeMapping) {
  xm::Fsq fsq{xm::FsqOptions{}};
  // Spec example: index 40000 → level indices [0,0,0,1,0,3,1,2].
  const torch::Tensor codes = fsq->indices_to_codes(torch::tensor({40000}, torch::kInt32));
  const torch::Tensor want = torch::tensor({-1.0f, -1.0f, -1.0f, -0.5f, -1.0f, 0.5f, -0.5f, 0.0f});
  EXPECT_TENSOR_CLOSE(codes.view({8}), want, 0.0, 0.0);
  const torch::Tensor all = torch::arange(65536).to(torch::kInt32);
  EXPECT_TRUE(torch::equal(fsq->codes_to_indices(fsq->indices_to_codes(all)), all));
  EXPECT_EQ(fsq->codebook_size(), 65536);
}

TEST_F(Gotchas, FsqStraightThroughGradient) {
  xm::ResidualFsqOptions o;
  o.dim = 16;
  xm::ResidualFsq q(o);
  const torch::Tensor x = torch::randn({2, 5, 16}, torch::requires_grad());
  const auto out = q->forward(x);
  out.quantized.sum().backward();
  ASSERT_TRUE(x.grad().defined());
  EXPECT_GT(x.grad().abs().sum().item<double>(), 0.0);
  // Decoding the indices gives exactly the forward output (codes are lattice points).
  torch::NoGradGuard ng;
  EXPECT_TENSOR_CLOSE(q->get_output_from_indices(out.indices), out.quantized.detach(), 0.0, 0.0);
}

// G8: the loaded β is used: y = x + sin²(e^α x) / (e^β + 1e-9).
TEST_F(Gotchas, SnakeBetaUsesLoadedBeta) {
  xm::SnakeBeta s(xm::SnakeBetaOptions(2));
  {
    torch::NoGradGuard ng;
    s->alpha.copy_(torch::tensor({0.0f, std::log(3.0f)}));
    s->beta.copy_(torch::tensor({std::log(2.0f), std::log(0.5f)}));
  }
  const torch::Tensor x = torch::linspace(-2, 2, 9).view({1, 1, 9}).repeat({1, 2, 1});
  const torch::Tensor y = s->forward(x);
  const torch::Tensor x0 = x[0][0];
  EXPECT_TENSOR_CLOSE(y[0][0], x0 + torch::sin(x0).pow(2) / 2.0, 1e-6, 0);
  EXPECT_TENSOR_CLOSE(y[0][1], x0 + torch::sin(3 * x0).pow(2) / 0.5, 1e-6, 0);
  s->fold();
  torch::NoGradGuard ng;
  EXPECT_TENSOR_CLOSE(s->forward(x), y, 0.0, 0.0);
}

// G10: RoPE rotates by the HEAD index (same for every time step) and leaves scores unchanged.
TEST_F(Gotchas, RopeActsOnHeadAxis) {
  const int64_t h = 4, t = 5, d = 8;
  xm::RotaryEmbedding rope(xm::RotaryEmbeddingOptions(d, h));
  const torch::Tensor v = torch::randn({d});
  const torch::Tensor x = v.view({1, 1, 1, d}).expand({1, h, t, d}).contiguous();
  const torch::Tensor y = rope->forward(x);
  for (int64_t head = 0; head < h; ++head) {
    for (int64_t i = 0; i < d / 2; ++i) {
      const double theta = std::pow(10000.0, -2.0 * i / d) * head;
      const double a = v[2 * i].item<double>(), b = v[2 * i + 1].item<double>();
      for (int64_t step = 0; step < t; ++step) {
        EXPECT_NEAR(y[0][head][step][2 * i].item<double>(),
                    a * std::cos(theta) - b * std::sin(theta), 1e-5);
        EXPECT_NEAR(y[0][head][step][2 * i + 1].item<double>(),
                    b * std::cos(theta) + a * std::sin(theta), 1e-5);
      }
    }
  }
  // Head 0 is not rotated at all.
  EXPECT_TENSOR_CLOSE(y[0][0], x[0][0], 0.0, 0.0);
  // Attention output is the same with and without the rotation.
  xm::TransformerBlockOptions with_rope(32, h);
  xm::TransformerBlockOptions no_rope = with_rope;
  no_rope.rope = false;
  xm::SelfAttention with(with_rope);
  xm::SelfAttention without(no_rope);
  ASSERT_TRUE(with->rotary);
  ASSERT_FALSE(without->rotary);
  {
    torch::NoGradGuard ng;
    without->c_attn->weight.copy_(with->c_attn->weight);
    without->c_proj->weight.copy_(with->c_proj->weight);
  }
  const torch::Tensor in = torch::randn({2, 7, 32});
  EXPECT_TENSOR_CLOSE(with->forward(in), without->forward(in), 1e-5, 1e-5);
}

// G9: the skip path of the semantic adapters carries relu(initial_conv(x)).
TEST_F(Gotchas, SemanticAdapterInPlaceReluAliasing) {
  auto a = xm::make_semantic_encoder(6, 5, 4);
  const torch::Tensor x = torch::randn({1, 6, 9});
  torch::NoGradGuard ng;
  const torch::Tensor init = a->initial_conv->forward(x);
  ASSERT_TRUE((init < 0).any().item<bool>());
  auto conv_a = a->residual_blocks[1]->as<torch::nn::Conv1dImpl>();
  auto conv_b = a->residual_blocks[3]->as<torch::nn::Conv1dImpl>();
  const torch::Tensor h = conv_b->forward(torch::relu(conv_a->forward(torch::relu(init))));
  const torch::Tensor aliased = a->final_conv->forward(h + torch::relu(init));
  const torch::Tensor naive = a->final_conv->forward(h + init);
  EXPECT_TENSOR_CLOSE(a->forward(x), aliased, 1e-6, 0);
  EXPECT_GT((a->forward(x) - naive).abs().max().item<double>(), 1e-3);
}

// G11: "same" ISTFT: hop·T samples, trim (win-hop)/2, envelope 0.75 at the edges, 1.5 inside.
TEST_F(Gotchas, IstftSamePadding) {
  const int64_t n_fft = 64, hop = 16;
  xm::Istft istft(xm::IstftOptions(n_fft, hop));
  EXPECT_EQ(istft->pad(), 24);
  // Analysis with the same framing: frame t covers samples [hop·t − pad, hop·t − pad + n_fft).
  const int64_t frames = 10;
  const torch::Tensor signal = torch::randn({1, hop * frames}, torch::kFloat64).to(torch::kFloat32);
  const torch::Tensor padded =
      torch::nn::functional::pad(signal, torch::nn::functional::PadFuncOptions({24, 24}));
  const torch::Tensor fr = padded.unfold(1, n_fft, hop) * istft->window;  // [1, T, n_fft]
  const torch::Tensor spec = torch::fft::rfft(fr, n_fft, -1).transpose(1, 2);
  ASSERT_EQ(spec.size(2), frames);
  torch::NoGradGuard ng;
  const torch::Tensor y = istft->forward(spec);
  ASSERT_EQ(y.size(1), hop * frames);
  EXPECT_TENSOR_CLOSE(y, signal, 1e-5, 1e-5);
  // Cached envelope (folded) == direct computation, for every T including the short ones.
  std::vector<torch::Tensor> unfolded;
  for (int64_t t = 1; t <= 8; ++t) unfolded.push_back(istft->forward(spec.narrow(2, 0, t)));
  istft->fold();
  for (int64_t t = 1; t <= 8; ++t)
    EXPECT_TENSOR_CLOSE(istft->forward(spec.narrow(2, 0, t)), unfolded[t - 1], 0.0, 0.0) << t;
  // Envelope values of the X-Codec geometry (n_fft 1280, hop 320).
  xm::Istft big(xm::IstftOptions(1280, 320));
  const torch::Tensor ones_spec = torch::zeros({1, 641, 6}, torch::kComplexFloat);
  EXPECT_EQ(big->forward(ones_spec).size(1), 1920);
  const torch::Tensor w2 = big->window.square();
  EXPECT_NEAR((w2[480] + w2[160]).item<double>(), 0.75, 1e-6);
  EXPECT_NEAR((w2[0] + w2[320] + w2[640] + w2[960]).item<double>(), 1.5, 1e-6);
}

TEST_F(Gotchas, IstftHeadClipsMagnitude) {
  xm::IstftHead head(xm::IstftHeadOptions(4, 64, 16));
  {
    torch::NoGradGuard ng;
    head->out->weight.zero_();
    head->out->bias.fill_(10.0);  // exp(10) > 100 → clipped
  }
  const auto o = head->forward_detailed(torch::randn({1, 3, 4}));
  EXPECT_NEAR(o.mag.max().item<double>(), 100.0, 1e-6);
  EXPECT_EQ(o.audio.sizes(), (std::vector<int64_t>{1, 1, 48}));
}

// The polyphase Activation1d equals the literal upsample → snake → downsample ops.
TEST_F(Gotchas, Activation1dFastPathEqualsReference) {
  xm::Activation1d act(xm::Activation1dOptions(3));
  {
    torch::NoGradGuard ng;
    act->act->alpha.uniform_(-0.5, 0.5);
    act->act->beta.uniform_(-0.5, 0.5);
  }
  for (const int64_t len : {1, 2, 3, 7, 64, 101}) {
    const torch::Tensor x = torch::randn({2, 3, len});
    const torch::Tensor want = act->forward_reference(x);
    EXPECT_TENSOR_CLOSE(act->forward(x), want, 2e-6, 1e-5) << "L=" << len;
    torch::NoGradGuard ng;
    act->fold();
    EXPECT_TENSOR_CLOSE(act->forward(x), want, 2e-6, 1e-5) << "folded L=" << len;
    act->unfold();
  }
  // Chunked inference (time split into pieces with halos) gives the same result.
  xm::Activation1dOptions small(3);
  small.chunk_elements = 3 * 64;
  xm::Activation1d chunked(small);
  {
    torch::NoGradGuard ng;
    for (const auto& kv : act->named_parameters())
      chunked->named_parameters()[kv.key()].copy_(kv.value());
  }
  for (const int64_t len : {64, 65, 127, 128, 130, 1000}) {
    const torch::Tensor x = torch::randn({2, 3, len});
    torch::NoGradGuard ng;
    EXPECT_TENSOR_CLOSE(chunked->forward(x), act->forward_reference(x), 2e-6, 1e-5) << "L=" << len;
    EXPECT_TENSOR_CLOSE(chunked->forward(x), act->forward(x), 0.0, 0.0) << "L=" << len;
  }
  // Gradient flows through the fast path to alpha and beta.
  const torch::Tensor x = torch::randn({1, 3, 16});
  act->forward(x).sum().backward();
  EXPECT_GT(act->act->beta.grad().abs().sum().item<double>(), 0.0);
}

TEST_F(Gotchas, WeightNormFoldEqualsRecomputed) {
  xm::WNConv1dOptions o(3, 5, 4);
  o.stride = 2;
  o.padding = 1;
  xm::WNConv1d c(o);
  {
    torch::NoGradGuard ng;
    c->weight_g.mul_(1.7);
  }
  const torch::Tensor w = c->weight();
  const torch::Tensor norm = c->weight_v.pow(2).sum({1, 2}, true).sqrt();
  EXPECT_TENSOR_CLOSE(w, c->weight_g * c->weight_v / norm, 1e-6, 1e-6);
  const torch::Tensor x = torch::randn({2, 3, 20});
  const torch::Tensor y = c->forward(x);
  c->fold();
  EXPECT_TRUE(c->folded());
  torch::NoGradGuard ng;
  EXPECT_TENSOR_CLOSE(c->forward(x), y, 0.0, 0.0);
  EXPECT_EQ(xm::persistent_state(*c).size(), 3u);  // "_weight" is not persistent
}

// G4 + G14: semantic channels come first; shapes are checked at the boundary.
TEST_F(Gotchas, EncodeChecksShapes) {
  xm::XCodec2Model m(xm::XCodec2Config::preset("tiny"));
  const int64_t hop = m->config.hop_length();
  const int64_t s = m->config.semantic.hidden_size;
  EXPECT_THROW(m->encode(torch::zeros({1, 1, hop * 3 + 1}), torch::zeros({1, 3, s})),
               xcodec::ShapeError);
  EXPECT_THROW(m->encode(torch::zeros({1, 1, hop * 3}), torch::zeros({1, 4, s})),
               xcodec::ShapeError);
  torch::NoGradGuard ng;
  const auto e = m->encode_detailed(torch::randn({2, 1, hop * 3}), torch::randn({2, 3, s}));
  EXPECT_TENSOR_CLOSE(e.concat.narrow(1, 0, m->config.semantic.code_dim), e.semantic, 0.0, 0.0);
  EXPECT_EQ(e.codes.sizes(), (std::vector<int64_t>{2, 1, 3}));
  EXPECT_EQ(m->decode(e.codes).sizes(), (std::vector<int64_t>{2, 1, hop * 3}));
}

}  // namespace

namespace {

// clone() (used for data-parallel replicas) gives an independent model with equal outputs.
TEST(Xcodec2Clone, CloneIsIndependentAndEqual) {
  torch::manual_seed(5);
  xm::XCodec2Model m(xm::XCodec2Config::preset("tiny"));
  m->eval();
  auto copy = std::dynamic_pointer_cast<xm::XCodec2ModelImpl>(m->clone());
  ASSERT_TRUE(copy);
  const int64_t hop = m->config.hop_length();
  const torch::Tensor wave = torch::randn({1, 1, hop * 4});
  const torch::Tensor sem = torch::randn({1, 4, m->config.semantic.hidden_size});
  torch::NoGradGuard ng;
  const auto a = m->forward(wave, sem);
  const auto b = copy->forward(wave, sem);
  EXPECT_TENSOR_CLOSE(b.recon, a.recon, 0.0, 0.0);
  copy->fc_prior->bias.add_(1.0);
  EXPECT_FALSE(torch::equal(copy->fc_prior->bias, m->fc_prior->bias));
}

}  // namespace
