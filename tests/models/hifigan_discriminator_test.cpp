// HiFi-GAN MPD + MSD as DwanCodec uses them (spec quantizers-and-variants.md §5.3): output
// counts and shapes, key names of the original's parametrizations, weight and spectral norm,
// and the "hifigan" discriminator set's config.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>

#include "support/test_support.h"
#include "xcodec/core/error.h"
#include "xcodec/models/discriminators/hifigan_discriminator.h"

namespace xm = xcodec::models;
using xcodec::testing::SeededTest;

// Seeded (SeededTest), named so that --gtest_filter='Dwan*:HifiGan*' selects it.
class HifiGanTest : public SeededTest {};

namespace {

std::string config_path(const std::string& name) {
  return std::string(XCODEC_SOURCE_DIR) + "/configs/discriminator/" + name + ".yaml";
}

xm::HifiGanDiscriminatorConfig tiny() {
  xm::HifiGanDiscriminatorConfig c;
  c.channel_scale = 8;
  return c;
}

}  // namespace

TEST_F(HifiGanTest, OutputShapesAndFeatureMapCounts) {
  xm::HifiGanDiscriminator disc(tiny());
  const int64_t length = 4801;  // not a multiple of any period: reflect padding
  const auto out = disc->forward(torch::randn({2, 1, length}));
  ASSERT_EQ(out.logits.size(), 8u);  // 5 periods + 3 scales
  ASSERT_EQ(out.feature_maps.size(), 8u);
  const int64_t periods[] = {2, 3, 5, 7, 11};
  for (size_t k = 0; k < 5; ++k) {
    const int64_t p = periods[k];
    ASSERT_EQ(out.feature_maps[k].size(), 6u) << "period " << p;
    int64_t h = (length + p - 1) / p;
    const int64_t channels[] = {4, 16, 64, 128, 128};
    for (size_t j = 0; j < 5; ++j) {
      if (j < 4) h = (h + 4 - 5) / 3 + 1;  // kernel 5, stride 3, padding 2
      EXPECT_EQ(out.feature_maps[k][j].sizes(), (std::vector<int64_t>{2, channels[j], h, p}))
          << "period " << p << " layer " << j;
    }
    EXPECT_EQ(out.feature_maps[k][5].sizes(), (std::vector<int64_t>{2, 1, h, p}));
    EXPECT_EQ(out.logits[k].sizes(), (std::vector<int64_t>{2, h * p}));
  }
  int64_t scale_length = length;
  for (size_t k = 5; k < 8; ++k) {
    if (k > 5) scale_length = scale_length / 2 + 1;  // AvgPool1d(4, 2, padding 2)
    ASSERT_EQ(out.feature_maps[k].size(), 8u) << "scale " << k - 5;
    EXPECT_EQ(out.feature_maps[k][0].sizes(), (std::vector<int64_t>{2, 16, scale_length}));
    int64_t t = scale_length;
    for (const int64_t stride : {4, 4, 4, 4}) t = (t + 40 - 41) / stride + 1;
    EXPECT_EQ(out.feature_maps[k][6].sizes(), (std::vector<int64_t>{2, 128, t}));
    EXPECT_EQ(out.logits[k].sizes(), (std::vector<int64_t>{2, t}));
  }
  EXPECT_THROW(disc->forward(torch::randn({2, 2, 100})), xcodec::ShapeError);

  // clone() copies every parameter and the spectral-norm state (eval: no power iteration).
  disc->eval();
  auto copy = std::dynamic_pointer_cast<xm::HifiGanDiscriminatorImpl>(disc->clone());
  ASSERT_TRUE(copy);
  const torch::Tensor x = torch::randn({1, 1, 3000});
  const auto a = disc->forward(x);
  const auto b = copy->forward(x);
  for (size_t k = 0; k < a.logits.size(); ++k) EXPECT_TRUE(torch::equal(a.logits[k], b.logits[k]));
}

// Keys and shapes of torch.nn.utils.parametrizations at the original widths.
TEST(HifiGanDiscriminator, KeyNamesAndShapesOfTheOriginal) {
  xm::HifiGanDiscriminator disc;
  std::map<std::string, std::vector<int64_t>> state;
  for (const auto& kv : disc->named_parameters()) state[kv.key()] = kv.value().sizes().vec();
  for (const auto& kv : disc->named_buffers()) state[kv.key()] = kv.value().sizes().vec();
  const std::map<std::string, std::vector<int64_t>> want = {
      {"mpd.discriminators.0.convs.0.parametrizations.weight.original0", {32, 1, 1, 1}},
      {"mpd.discriminators.0.convs.0.parametrizations.weight.original1", {32, 1, 5, 1}},
      {"mpd.discriminators.0.convs.0.bias", {32}},
      {"mpd.discriminators.4.convs.4.parametrizations.weight.original1", {1024, 1024, 5, 1}},
      {"mpd.discriminators.4.conv_post.parametrizations.weight.original1", {1, 1024, 3, 1}},
      {"msd.discriminators.0.convs.0.parametrizations.weight.original", {128, 1, 15}},
      {"msd.discriminators.0.convs.0.parametrizations.weight.0.u", {128}},
      {"msd.discriminators.0.convs.0.parametrizations.weight.0.v", {15}},
      {"msd.discriminators.0.convs.1.parametrizations.weight.original", {128, 32, 41}},
      {"msd.discriminators.0.conv_post.parametrizations.weight.original", {1, 1024, 3}},
      {"msd.discriminators.1.convs.2.parametrizations.weight.original0", {256, 1, 1}},
      {"msd.discriminators.1.convs.2.parametrizations.weight.original1", {256, 8, 41}},
      {"msd.discriminators.2.conv_post.bias", {1}},
  };
  for (const auto& [key, shape] : want) {
    ASSERT_TRUE(state.count(key)) << key;
    EXPECT_EQ(state[key], shape) << key;
  }
  // 5 periods × 6 convs × 3 tensors + scale 0: 8 convs × (original, bias, u, v) + 2 scales ×
  // 8 convs × 3.
  EXPECT_EQ(state.size(), 5u * 6u * 3u + 8u * 4u + 2u * 8u * 3u);
  // MPD 5 × 8,221,154 + MSD 9,870,209 (spectral: no g) + 2 × 9,874,306, from the shapes.
  int64_t params = 0;
  for (const auto& p : disc->parameters()) params += p.numel();
  EXPECT_EQ(params, 70724591);
}

// Weight norm starts at the raw init (g = ‖v‖); spectral norm converges to a unit top singular
// value, updates u/v only in training mode, and both pass gradients to their parameters.
TEST_F(HifiGanTest, WeightAndSpectralNorm) {
  xm::NormedConvOptions o;
  o.rank = 1;
  o.in_channels = 4;
  o.out_channels = 6;
  o.kernel = {5, 1};
  o.padding = {2, 0};
  xm::NormedConv wn(o);
  auto* wn_param = wn->parametrizations["weight"]->as<xm::ParametrizedWeightImpl>();
  EXPECT_TENSOR_CLOSE(wn_param->weight(), wn_param->original1, 1e-6, 1e-6);

  o.norm = xm::ConvNorm::kSpectral;
  xm::NormedConv sn(o);
  auto* sn_param = sn->parametrizations["weight"]->as<xm::ParametrizedWeightImpl>();
  const torch::Tensor x = torch::randn({2, 4, 50});
  for (int i = 0; i < 20; ++i) sn->forward(x);
  sn->eval();
  const torch::Tensor u = sn_param->state->u.clone();
  const torch::Tensor w = sn_param->weight();
  EXPECT_TRUE(torch::equal(u, sn_param->state->u));  // eval: no power iteration
  const torch::Tensor top = std::get<1>(torch::linalg_svd(w.reshape({6, -1}), false)).max();
  EXPECT_NEAR(top.item<double>(), 1.0, 1e-4);
  sn->train();
  sn->forward(x);
  EXPECT_FALSE(torch::equal(u, sn_param->state->u));  // training: one iteration per forward

  (wn->forward(x).sum() + sn->forward(x).sum()).backward();
  EXPECT_TRUE(wn_param->original0.grad().defined());
  EXPECT_TRUE(wn_param->original1.grad().defined());
  EXPECT_TRUE(sn_param->original.grad().defined());
  EXPECT_GT(sn_param->original.grad().abs().sum().item<float>(), 0.0f);
}

TEST(HifiGanDiscriminator, ConfigFilesAndStrictKeys) {
  const auto kind = xm::hifigan_discriminator_kind();
  EXPECT_EQ(kind.name, "hifigan");
  const YAML::Node full = YAML::LoadFile(config_path("dwan24k"));
  const YAML::Node small = YAML::LoadFile(config_path("dwan-tiny"));
  EXPECT_NO_THROW(kind.validate(full, "discriminator"));
  EXPECT_NO_THROW(kind.validate(small, "discriminator"));
  xm::HifiGanDiscriminatorConfig c;
  c.from_yaml(full);
  EXPECT_EQ(c, xm::HifiGanDiscriminatorConfig{});
  c.from_yaml(small);
  EXPECT_EQ(c.channel_scale, 32);
  xm::HifiGanDiscriminatorConfig back;
  back.from_yaml(c.to_yaml());
  EXPECT_EQ(back, c);

  auto set = kind.build(small);
  ASSERT_TRUE(set);
  EXPECT_EQ(set->name(), "hifigan");
  EXPECT_EQ(set->forward(torch::randn({1, 1, 2400})).size(), 8u);
  // 1/32 width: 128 → 256 channels in 16 groups become 4 → 8 in 4 groups (capped at 4 inputs).
  const auto params = set->module().named_parameters();
  EXPECT_EQ(params["msd.discriminators.1.convs.2.parametrizations.weight.original1"].sizes(),
            (std::vector<int64_t>{8, 1, 41}));
  EXPECT_EQ(params["mpd.discriminators.0.convs.0.parametrizations.weight.original1"].sizes(),
            (std::vector<int64_t>{1, 1, 5, 1}));

  YAML::Node bad = YAML::Clone(small);
  bad["bogus"] = 1;
  try {
    kind.validate(bad, "discriminator");
    FAIL() << "unknown key accepted";
  } catch (const xcodec::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("discriminator.bogus"), std::string::npos) << e.what();
  }
  for (const int scale : {3, 64, 0}) {  // not dividing the widths / 32 → 0 channels / < 1
    YAML::Node narrow = YAML::Clone(small);
    narrow["channel_scale"] = scale;
    EXPECT_THROW(kind.validate(narrow, "discriminator"), xcodec::ConfigError) << scale;
  }
}
