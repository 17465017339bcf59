// bf16 compute precision (layers/compute_precision.h): close to the fp32 reference outputs,
// reversible, and invisible to saving and training.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/test_support.h"
#include "xcodec/core/cpu_features.h"
#include "xcodec/core/error.h"
#include "xcodec/models/codecs/xcodec2_model.h"
#include "xcodec/models/layers/compute_precision.h"
#include "xcodec/models/layers/foldable.h"
#include "xcodec/models/layers/residual_unit.h"
#include "xcodec/models/layers/transformer_block.h"
#include "xcodec/models/layers/wn_conv1d.h"

namespace xm = xcodec::models;
using xcodec::testing::fixture_path;
using xcodec::testing::load_fixture;

namespace {
constexpr const char* kDir = "xcodec2-small/";

xm::XCodec2Model fixture_model() {
  const auto config =
      xm::XCodec2Config::from_json_file(fixture_path(std::string(kDir) + "config.json"));
  xm::XCodec2Model m(config, /*with_training_heads=*/false);
  m->load_weights(fixture_path(std::string(kDir) + "model.safetensors"), /*strict=*/false);
  m->prepare_for_inference();
  return m;
}

// What the bf16 path in use must reach against fp32 (see the test below).
struct PathBounds {
  double encoder_db;
  double decoded_db;
  double tokens_equal;
};

// Runs `lower` (a bf16 lowering) and says which path this machine takes: native bf16 lowers
// and returns true; where bf16 would be emulated (AVX2-only CPUs, or ONEDNN_MAX_CPU_ISA=AVX2)
// the lowering must refuse with the reason, and the caller checks fp32 still runs.
template <typename F>
bool refused_where_emulated(F&& lower) {
  const auto& cpu = xcodec::cpu_bf16_support();
  std::cout << "bf16 path: " << (cpu.native ? "native" : "emulated, must be refused") << " ("
            << cpu.reason << ")\n";
  if (cpu.native) {
    lower();
    return true;
  }
  try {
    lower();
    ADD_FAILURE() << "bf16 lowering accepted on a CPU that only emulates it";
  } catch (const xcodec::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(cpu.reason), std::string::npos) << e.what();
  }
  return false;
}

double snr_db(const torch::Tensor& ref, const torch::Tensor& x) {
  const double noise = (ref - x).pow(2).sum().item<double>();
  return 10.0 * std::log10(ref.pow(2).sum().item<double>() / std::max(noise, 1e-30));
}
}  // namespace

TEST(ComputePrecision, ParsesNamesAndRejectsOthers) {
  EXPECT_EQ(xm::parse_compute_precision("bf16"), xm::ComputePrecision::kBFloat16);
  EXPECT_EQ(xm::parse_compute_precision("float32"), xm::ComputePrecision::kFloat32);
  EXPECT_EQ(xm::to_string(xm::ComputePrecision::kBFloat16), "bf16");
  EXPECT_THROW(xm::parse_compute_precision("fp8", "--precision"), xcodec::ConfigError);
}

TEST(ComputePrecision, Bf16StaysCloseToTheReferenceAndSwitchesBackExactly) {
  torch::set_num_threads(1);
  auto m = fixture_model();
  c10::InferenceMode guard;
  const torch::Tensor wave = xm::pad_for_encoding(
      load_fixture(std::string(kDir) + "wav.npy").view({1, 1, -1}), m->config.hop_length());
  const torch::Tensor semantic = load_fixture(std::string(kDir) + "semantic_in.npy");
  const torch::Tensor ref_codes = load_fixture(std::string(kDir) + "codes.npy");
  const torch::Tensor ref_wav = load_fixture(std::string(kDir) + "from_codes_wav_out.npy");
  const auto fp32 = m->encode_detailed(wave, semantic);
  const torch::Tensor fp32_wav = m->decode(ref_codes.to(torch::kInt32));

  if (!refused_where_emulated([&] { m->set_compute_precision(xm::ComputePrecision::kBFloat16); })) {
    EXPECT_TRUE(torch::equal(m->decode(ref_codes.to(torch::kInt32)), fp32_wav));
    return;
  }
  EXPECT_EQ(m->compute_precision(), xm::ComputePrecision::kBFloat16);
  EXPECT_TRUE(xm::lowered_weight(
                  *m->generator->backbone->transformers[0]->as<xm::TransformerBlock>()->mlp->fc1)
                  .defined());
  const auto bf16 = m->encode_detailed(wave, semantic);
  const torch::Tensor bf16_wav = m->decode(ref_codes.to(torch::kInt32));
  EXPECT_EQ(bf16_wav.scalar_type(), torch::kFloat32);
  const double enc_snr = snr_db(fp32.acoustic, bf16.acoustic);
  const double fused_snr = snr_db(fp32.fused, bf16.fused);
  const double dec_snr = snr_db(ref_wav.view_as(bf16_wav), bf16_wav);
  const double agree = bf16.codes.eq(ref_codes.to(bf16.codes.scalar_type()))
                           .to(torch::kDouble)
                           .mean()
                           .item<double>();
  // Native bf16 (AVX512-BF16/AMX: oneDNN, float32 accumulation) rounds each layer's inputs to 8
  // mantissa bits and nothing worse.
  const PathBounds bounds{25.0, 30.0, 0.5};
  std::cout << "bounds: encoder > " << bounds.encoder_db << " dB, decoded > " << bounds.decoded_db
            << " dB, tokens equal > " << 100.0 * bounds.tokens_equal << " %\n"
            << "bf16 vs fp32: encoder SNR " << enc_snr << " dB, fused " << fused_snr
            << " dB, decoded SNR " << dec_snr << " dB, tokens equal " << 100.0 * agree << " %\n";
  EXPECT_GT(enc_snr, bounds.encoder_db);
  EXPECT_GT(fused_snr, bounds.encoder_db);
  EXPECT_GT(dec_snr, bounds.decoded_db);
  // Most tokens survive the rounding (those near an FSQ decision boundary may move).
  EXPECT_GT(agree, bounds.tokens_equal);

  m->set_compute_precision(xm::ComputePrecision::kFloat32);
  EXPECT_TRUE(torch::equal(m->decode(ref_codes.to(torch::kInt32)), fp32_wav));
  EXPECT_TRUE(torch::equal(m->encode(wave, semantic), fp32.codes));
}

// Dilated "same" convolutions run as undilated ones over the interleaved phases (faster in
// oneDNN's bf16 kernels): the same products as the direct bf16 convolution, so the results
// differ by accumulation order and the final bf16 rounding only. Lengths that are and are not
// multiples of the dilation, batch > 1, a dilation below the split threshold.
TEST(ComputePrecision, DilatedConvolutionMatchesDirectBf16) {
  torch::manual_seed(3);
  torch::NoGradGuard no_grad;
  for (const int64_t dilation : {3, 9, 27}) {
    xm::WNConv1dOptions o(16, 24, 7);
    o.dilation = dilation;
    o.padding = 3 * dilation;
    xm::WNConv1d conv(o);
    conv->fold();
    if (!refused_where_emulated(
            [&] { xm::lower_compute_precision(*conv, xm::ComputePrecision::kBFloat16); })) {
      return;
    }
    for (const int64_t len : {1, 5, 9, 100, 1000, 1001}) {
      const torch::Tensor x = torch::randn({2, 16, len});
      const torch::Tensor got = conv->forward(x);
      ASSERT_EQ(got.scalar_type(), torch::kFloat);
      ASSERT_EQ(got.sizes(), (std::vector<int64_t>{2, 24, len}));
      const torch::Tensor want = torch::conv1d(x.to(torch::kBFloat16), xm::lowered_weight(*conv),
                                               xm::lowered_bias(*conv), 1, o.padding, dilation)
                                     .to(torch::kFloat);
      const double scale = want.abs().max().item<double>();
      // Two bf16 roundings of the output at most (8 significant bits each).
      EXPECT_LE((got - want).abs().max().item<double>(), scale / 64.0)
          << "dilation " << dilation << " L=" << len;
      const torch::Tensor fp32 =
          torch::conv1d(x, conv->weight(), conv->bias, 1, o.padding, dilation);
      EXPECT_GT(snr_db(fp32, got), 35.0) << "dilation " << dilation << " L=" << len;
    }
  }
}

// A lowered residual unit keeps its branch in bf16 (the activations write bf16 for the
// convolutions): bit for bit what converting around every convolution gives.
TEST(ComputePrecision, ResidualUnitBranchInBf16EqualsConversionsAroundEachConvolution) {
  torch::manual_seed(4);
  torch::NoGradGuard no_grad;
  for (const int64_t dilation : {1, 9}) {
    xm::ResidualUnit unit(xm::ResidualUnitOptions(16, dilation));
    xm::fold_for_inference(*unit);
    if (!refused_where_emulated(
            [&] { xm::lower_compute_precision(*unit, xm::ComputePrecision::kBFloat16); })) {
      return;
    }
    const torch::Tensor x = torch::randn({2, 16, 3000});
    const torch::Tensor got = unit->forward(x);
    EXPECT_EQ(got.scalar_type(), torch::kFloat);
    // Sequential::forward runs each module as it stands: float32 activations, and convolutions
    // that convert their input to bf16 and their output back.
    EXPECT_TRUE(torch::equal(got, x + unit->block->forward(x))) << "dilation " << dilation;
  }
}

TEST(ComputePrecision, LoweredCopiesAreNotSavedAndSurviveReload) {
  auto m = fixture_model();
  if (!refused_where_emulated([&] { m->set_compute_precision(xm::ComputePrecision::kBFloat16); })) {
    return;
  }
  const xcodec::testing::TempDir dir;
  const std::string path = dir.str() + "/w.safetensors";
  m->save_weights(path);
  auto back = xm::XCodec2Model(m->config, false);
  back->load_weights(path);
  for (const auto& p : back->named_parameters()) {
    EXPECT_EQ(p.value().scalar_type(), torch::kFloat32) << p.key();
  }
  // Reloading weights into a lowered model refreshes the copies from the new weights.
  back->prepare_for_inference();
  back->set_compute_precision(xm::ComputePrecision::kBFloat16);
  m->load_weights(path);
  EXPECT_EQ(m->compute_precision(), xm::ComputePrecision::kBFloat16);
  const auto& fc1 = m->generator->backbone->transformers[0]->as<xm::TransformerBlock>()->mlp->fc1;
  EXPECT_TRUE(torch::equal(xm::lowered_weight(*fc1), fc1->weight.to(torch::kBFloat16)));
  // Training drops them.
  m->prepare_for_training();
  EXPECT_FALSE(xm::lowered_weight(*fc1).defined());
  EXPECT_THROW(m->set_compute_precision(xm::ComputePrecision::kBFloat16), xcodec::Error);
}
