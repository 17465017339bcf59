#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "support/test_support.h"
#include "xcodec/core/error.h"
#include "xcodec/io/safetensors.h"
#include "xcodec/models/discriminators/discriminators.h"
#include "xcodec/models/discriminators/multi_period_discriminator.h"
#include "xcodec/models/discriminators/spec_discriminator.h"

namespace xcodec::models {
namespace {

using xcodec::testing::fixture_path;
using xcodec::testing::load_fixture;

nlohmann::json training_values() {
  std::ifstream in(fixture_path("training-refs/values.json"));
  EXPECT_TRUE(in.good());
  return nlohmann::json::parse(in);
}

// Loads every parameter of `module` from a safetensors file by its registered name and checks
// that the two key sets are identical.
void load_exact(torch::nn::Module& module, const std::string& file) {
  const auto st = io::SafetensorsFile::open(file);
  std::set<std::string> file_keys;
  for (const auto& k : st->keys()) file_keys.insert(k);
  std::set<std::string> module_keys;
  torch::NoGradGuard no_grad;
  for (auto& item : module.named_parameters(/*recurse=*/true)) {
    module_keys.insert(item.key());
    ASSERT_TRUE(st->contains(item.key())) << "missing in file: " << item.key();
    const torch::Tensor t = st->tensor(item.key());
    ASSERT_EQ(t.sizes(), item.value().sizes()) << item.key();
    item.value().copy_(t);
  }
  EXPECT_EQ(module_keys, file_keys);
}

torch::Tensor signal(const char* name) {
  return load_fixture(std::string("training-refs/") + name).unsqueeze(1);  // [1, 1, L]
}

double tolerance(const torch::Tensor& want) {
  return 1e-5 * std::max(1.0, want.abs().max().item<double>());
}

std::vector<int64_t> shape_of(const nlohmann::json& j) { return j.get<std::vector<int64_t>>(); }

class MultiPeriodDiscriminatorParity : public xcodec::testing::SeededTest {};
class SpecDiscriminatorParity : public xcodec::testing::SeededTest {};

TEST_F(MultiPeriodDiscriminatorParity, SmallOutputsAndFeatureMapsMatchTheReference) {
  const auto values = training_values();
  auto opts = MultiPeriodDiscriminatorOptions::small();
  const auto& cfg = values["mpd_small"]["config"];
  ASSERT_EQ(opts.periods, cfg["periods"].get<std::vector<int64_t>>());
  ASSERT_EQ(opts.channels, cfg["channels"].get<int64_t>());
  ASSERT_EQ(opts.max_downsample_channels, cfg["max_downsample_channels"].get<int64_t>());
  ASSERT_EQ(opts.channel_increasing_factor, cfg["channel_increasing_factor"].get<int64_t>());
  MultiPeriodDiscriminator mpd(opts);
  load_exact(*mpd, fixture_path("training-refs/mpd_small.safetensors"));

  torch::NoGradGuard no_grad;
  const auto real = mpd->forward(signal("y.npy"));
  const auto fake = mpd->forward(signal("y_hat.npy"));
  ASSERT_EQ(real.size(), 5u);
  const auto& shapes = values["mpd_small"]["feature_map_shapes"];
  for (size_t k = 0; k < opts.periods.size(); ++k) {
    const std::string p = std::to_string(opts.periods[k]);
    SCOPED_TRACE("period " + p);
    ASSERT_EQ(real.feature_maps[k].size(), 5u);
    for (size_t j = 0; j < 5; ++j)
      EXPECT_EQ(real.feature_maps[k][j].sizes().vec(), shape_of(shapes[k][j])) << "map " << j;
    EXPECT_EQ(real.logits[k].sizes().vec(), shape_of(shapes[k][5]));
    const auto want_y = load_fixture("training-refs/mpd_small_p" + p + "_y.npy");
    const auto want_yh = load_fixture("training-refs/mpd_small_p" + p + "_y_hat.npy");
    const auto want_f0 = load_fixture("training-refs/mpd_small_p" + p + "_fmap0_y.npy");
    EXPECT_TENSOR_CLOSE(real.logits[k], want_y, tolerance(want_y), 0.0);
    EXPECT_TENSOR_CLOSE(fake.logits[k], want_yh, tolerance(want_yh), 0.0);
    EXPECT_TENSOR_CLOSE(real.feature_maps[k][0], want_f0, tolerance(want_f0), 0.0);
  }
}

TEST_F(MultiPeriodDiscriminatorParity, DefaultShapesAndParameterCounts) {
  const auto values = training_values();
  MultiPeriodDiscriminator mpd;  // X-Codec-2.0 sizes: channels 16, max 512
  // Spec §11.3: 2,056,946 parameters per period (weight-norm g counted, as in the checkpoint).
  int64_t total = 0;
  for (const auto& p : mpd->parameters()) total += p.numel();
  EXPECT_EQ(total, 5 * 2056946);
  // Keys follow the released checkpoint (spec §9.5).
  const auto params = mpd->named_parameters();
  EXPECT_TRUE(params.contains("discriminators.4.convs.4.0.weight_v"));
  EXPECT_TRUE(params.contains("discriminators.0.output_conv.weight_g"));
  EXPECT_EQ(params["discriminators.0.convs.3.0.weight_v"].sizes(),
            torch::IntArrayRef({512, 256, 5, 1}));
  EXPECT_EQ(params["discriminators.0.output_conv.weight_v"].sizes(),
            torch::IntArrayRef({1, 512, 2, 1}));
  // Shapes for the fixture's 34080-sample input (only period 2: the cheapest way to cover the
  // 512-channel path; the other periods share the code and are checked at the small size).
  torch::NoGradGuard no_grad;
  const auto x = signal("y.npy");
  PeriodDiscriminator p2(2, mpd->options);
  const auto out = p2->forward(x);
  const auto& shapes = values["mpd_default_shapes"]["feature_map_shapes"][0];
  for (size_t j = 0; j < 5; ++j)
    EXPECT_EQ(out.feature_maps[0][j].sizes().vec(), shape_of(shapes[j])) << "map " << j;
  EXPECT_EQ(out.logits[0].sizes().vec(), shape_of(shapes[5]));
}

TEST_F(MultiPeriodDiscriminatorParity, RejectsBadInputAndOptions) {
  MultiPeriodDiscriminator mpd(MultiPeriodDiscriminatorOptions::small());
  EXPECT_THROW(mpd->forward(torch::zeros({1, 2, 100})), ShapeError);
  auto bad = MultiPeriodDiscriminatorOptions::small();
  bad.kernel_sizes = {4, 3};
  EXPECT_THROW(MultiPeriodDiscriminator{bad}, ConfigError);
}

TEST_F(MultiPeriodDiscriminatorParity, WithoutWeightNormUsesPlainWeights) {
  auto opts = MultiPeriodDiscriminatorOptions::small();
  opts.use_weight_norm = false;
  MultiPeriodDiscriminator mpd(opts);
  const auto params = mpd->named_parameters();
  EXPECT_TRUE(params.contains("discriminators.0.convs.0.0.weight"));
  EXPECT_FALSE(params.contains("discriminators.0.convs.0.0.weight_g"));
  const auto out = mpd->forward(torch::randn({2, 1, 1000}));
  EXPECT_EQ(out.logits.size(), 5u);
  EXPECT_EQ(out.logits[0].size(0), 2);
}

TEST_F(SpecDiscriminatorParity, InputSpectrogramsMatchTheReference) {
  SpecDiscriminator disc(SpecDiscriminatorOptions::small());
  const auto y = signal("y.npy");
  for (size_t r : {size_t{0}, size_t{7}}) {
    SCOPED_TRACE("resolution " + std::to_string(r));
    const auto want = load_fixture("training-refs/specdisc_stft_r" + std::to_string(r) + "_y.npy");
    const auto got = disc->spectrogram(y, r);
    EXPECT_TENSOR_CLOSE(got, want, tolerance(want), 1e-4);
  }
  // The upper clamp of the power (1e3) caps the magnitude at sqrt(1000).
  const auto loud = disc->spectrogram(torch::ones({1, 1, 4000}) * 100.0, 0);
  EXPECT_NEAR(loud.max().item<double>(), std::sqrt(1000.0), 1e-3);
  EXPECT_NEAR(loud.min().item<double>(), std::sqrt(1e-7), 1e-6);
}

TEST_F(SpecDiscriminatorParity, SmallOutputsMatchTheReference) {
  const auto values = training_values();
  const auto& cfg = values["specdisc_small"]["config"];
  auto opts = SpecDiscriminatorOptions::small();
  ASSERT_EQ(opts.stft_params.fft_sizes,
            cfg["stft_params"]["fft_sizes"].get<std::vector<int64_t>>());
  ASSERT_EQ(opts.stft_params.hop_sizes,
            cfg["stft_params"]["hop_sizes"].get<std::vector<int64_t>>());
  ASSERT_EQ(opts.channels, cfg["channels"].get<int64_t>());
  ASSERT_EQ(opts.max_downsample_channels, cfg["max_downsample_channels"].get<int64_t>());
  SpecDiscriminator disc(opts);
  load_exact(*disc, fixture_path("training-refs/specdisc_small.safetensors"));

  torch::NoGradGuard no_grad;
  const auto real = disc->forward(signal("y.npy"));
  const auto fake = disc->forward(signal("y_hat.npy"));
  ASSERT_EQ(real.size(), 8u);
  const auto& shapes = values["specdisc_small"]["feature_map_shapes"];
  for (size_t r = 0; r < 8; ++r) {
    SCOPED_TRACE("resolution " + std::to_string(r));
    ASSERT_EQ(real.feature_maps[r].size(), 5u);
    for (size_t j = 0; j < 5; ++j)
      EXPECT_EQ(real.feature_maps[r][j].sizes().vec(), shape_of(shapes[r][j])) << "map " << j;
    EXPECT_EQ(real.logits[r].sizes().vec(), shape_of(shapes[r][5]));
    const std::string base = "training-refs/specdisc_small_r" + std::to_string(r);
    const auto want_y = load_fixture(base + "_y.npy");
    const auto want_yh = load_fixture(base + "_y_hat.npy");
    EXPECT_TENSOR_CLOSE(real.logits[r], want_y, tolerance(want_y), 0.0);
    EXPECT_TENSOR_CLOSE(fake.logits[r], want_yh, tolerance(want_yh), 0.0);
  }
}

TEST_F(SpecDiscriminatorParity, DefaultShapesAndParameterCounts) {
  const auto values = training_values();
  SpecDiscriminator disc;  // channels 32, max 512
  int64_t total = 0;
  for (const auto& p : disc->parameters()) total += p.numel();
  EXPECT_EQ(total, 8 * 2262242);  // spec §11.4
  const auto params = disc->named_parameters();
  EXPECT_TRUE(params.contains("model.disc_7.model.layer_4.0.weight_v"));
  EXPECT_TRUE(params.contains("model.disc_0.model.layer_5.weight_g"));
  EXPECT_EQ(params["model.disc_0.model.layer_4.0.weight_v"].sizes(),
            torch::IntArrayRef({512, 256, 3, 3}));
  torch::NoGradGuard no_grad;
  const auto out = disc->forward(signal("y.npy"));
  const auto& shapes = values["specdisc_default_shapes"]["feature_map_shapes"];
  for (size_t r = 0; r < 8; ++r) {
    for (size_t j = 0; j < 5; ++j)
      EXPECT_EQ(out.feature_maps[r][j].sizes().vec(), shape_of(shapes[r][j]))
          << "resolution " << r << " map " << j;
    EXPECT_EQ(out.logits[r].sizes().vec(), shape_of(shapes[r][5])) << "resolution " << r;
  }
}

TEST(DiscriminatorsConfig, YamlRoundTripAndErrors) {
  DiscriminatorsConfig c;
  c.mpd = MultiPeriodDiscriminatorOptions::small();
  c.mstft.stft_params.fft_sizes = {64, 128};
  c.mstft.stft_params.hop_sizes = {32, 64};
  c.mstft.stft_params.win_lengths = {64, 128};
  DiscriminatorsConfig back;
  back.from_yaml(c.to_yaml());
  EXPECT_TRUE(back == c);
  EXPECT_NO_THROW(back.validate());

  YAML::Node bad = c.to_yaml();
  bad["mpd"]["chanels"] = 3;
  try {
    DiscriminatorsConfig d;
    d.from_yaml(bad);
    FAIL() << "unknown key accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("discriminator.mpd.chanels"), std::string::npos)
        << e.what();
  }
  YAML::Node typed = c.to_yaml();
  typed["mstft"]["stft_params"]["hop_sizes"] = "many";
  try {
    DiscriminatorsConfig d;
    d.from_yaml(typed);
    FAIL() << "wrong type accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("discriminator.mstft.stft_params.hop_sizes"),
              std::string::npos)
        << e.what();
  }
  DiscriminatorsConfig mismatched = c;
  mismatched.mstft.stft_params.hop_sizes = {32};
  EXPECT_THROW(mismatched.validate(), ConfigError);
}

TEST(Discriminators, BothFamiliesUnderTheCheckpointNames) {
  DiscriminatorsConfig c;
  c.mpd = MultiPeriodDiscriminatorOptions::small();
  c.mstft = SpecDiscriminatorOptions::small();
  Discriminators disc(c);
  const auto params = disc->named_parameters();
  EXPECT_TRUE(params.contains("discriminator.discriminators.4.output_conv.weight_v"));
  EXPECT_TRUE(params.contains("spec_discriminator.model.disc_7.model.layer_5.bias"));
  size_t mpd_keys = 0, spec_keys = 0;
  for (const auto& item : params) {
    const std::string& k = item.key();
    if (k.rfind("discriminator.", 0) == 0)
      ++mpd_keys;
    else if (k.rfind("spec_discriminator.", 0) == 0)
      ++spec_keys;
    else
      ADD_FAILURE() << "unexpected key " << k;
  }
  EXPECT_EQ(mpd_keys, 5u * 6 * 3);   // 5 periods x (5 convs + output) x (g, v, bias)
  EXPECT_EQ(spec_keys, 8u * 6 * 3);  // 8 resolutions x 6 layers x (g, v, bias)
  const auto x = torch::randn({2, 1, 8000});
  const auto out = disc->forward(x);
  EXPECT_EQ(out.size(), 13u);
  EXPECT_EQ(out.feature_maps.size(), 13u);
  EXPECT_EQ(out.logits[0].dim(), 2);   // MPD: flattened
  EXPECT_EQ(out.logits[12].dim(), 4);  // spectral: [B, 1, F', T']
  // Backward reaches every discriminator parameter.
  torch::stack([&] {
    std::vector<torch::Tensor> m;
    for (const auto& l : out.logits) m.push_back(l.mean());
    return m;
  }())
      .sum()
      .backward();
  for (const auto& item : disc->named_parameters())
    EXPECT_TRUE(item.value().is_leaf() && item.value().grad().defined()) << item.key();

  c.use_mpd = false;
  Discriminators spec_only(c);
  EXPECT_FALSE(spec_only->mpd);
  EXPECT_EQ(spec_only->forward(x).size(), 8u);
  c.use_mstft = false;
  EXPECT_THROW(Discriminators{c}, ConfigError);
  // clone() gives an independent copy with the same values.
  auto copy = std::dynamic_pointer_cast<DiscriminatorsImpl>(disc->clone());
  ASSERT_TRUE(copy);
  EXPECT_TRUE(copy->named_parameters()["discriminator.discriminators.0.convs.0.0.weight_v"].equal(
      params["discriminator.discriminators.0.convs.0.0.weight_v"]));
  {
    torch::NoGradGuard no_grad;
    const auto a = disc->forward(x);
    const auto b = copy->forward(x);
    for (size_t k = 0; k < a.size(); ++k) EXPECT_TRUE(a.logits[k].equal(b.logits[k])) << k;
    // The copy owns its parameters: changing it leaves the original alone.
    for (auto& p : copy->parameters()) p.add_(1.0);
    EXPECT_TRUE(disc->forward(x).logits[0].equal(a.logits[0]));
    EXPECT_FALSE(copy->forward(x).logits[0].equal(a.logits[0]));
  }
}

TEST(WeightNormConv2d, EffectiveWeightIsGTimesDirection) {
  torch::manual_seed(0);
  WeightNormConv2dOptions o;
  o.in_channels = 3;
  o.out_channels = 2;
  o.kernel_size = {3, 1};
  WeightNormConv2d conv(o);
  // Fresh layer: g = ||v|| so the effective weight equals v.
  EXPECT_TENSOR_CLOSE(conv->weight(), conv->weight_v, 1e-6, 1e-6);
  torch::NoGradGuard no_grad;
  conv->weight_g.fill_(2.0);
  const auto w = conv->weight();
  const auto norms = w.reshape({2, -1}).norm(2, 1);
  EXPECT_TENSOR_CLOSE(norms, torch::full({2}, 2.0), 1e-6, 0.0);
  const auto x = torch::randn({1, 3, 5, 2});
  EXPECT_TENSOR_CLOSE(conv->forward(x), torch::conv2d(x, w, conv->bias), 1e-6, 1e-6);
}

}  // namespace
}  // namespace xcodec::models
