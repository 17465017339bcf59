// Building for a load without random initialisation (layers/parameter_init.h): the right
// shapes, no random numbers drawn (the global generator is left as it was), and a strictly
// loaded model that computes as before.
#include "xcodec/models/layers/parameter_init.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/test_support.h"
#include "xcodec/io/safetensors.h"
#include "xcodec/models/codecs/xcodec2_model.h"
#include "xcodec/models/layers/state_dict.h"

namespace xm = xcodec::models;

namespace {
// The next number of the global generator after `build` ran from seed 0.
template <typename F>
double next_random_after(F&& build) {
  torch::manual_seed(0);
  build();
  return torch::rand({1}).item<double>();
}

// The small X-Codec-2.0 of the parity fixtures.
xm::XCodec2Config small_config() {
  return xm::XCodec2Config::from_json_file(
      xcodec::testing::fixture_path("xcodec2-small/config.json"));
}
}  // namespace

TEST(ParameterInit, SkippedLayersHaveTheirShapesAndDrawNoRandomNumbers) {
  const double untouched = next_random_after([] {});
  const auto lin_opts = torch::nn::LinearOptions(48, 96);
  const auto conv_opts = torch::nn::Conv1dOptions(32, 64, 7).padding(3).groups(4);
  ASSERT_NE(next_random_after([&] { xm::make_linear(lin_opts); }), untouched)
      << "without the guard LibTorch initialises";
  EXPECT_EQ(next_random_after([&] {
              const xm::SkipParameterInit skip;
              EXPECT_TRUE(xm::parameter_init_skipped());
              const auto lin = xm::make_linear(lin_opts);
              EXPECT_EQ(lin->weight.sizes(), torch::IntArrayRef({96, 48}));
              EXPECT_EQ(lin->bias.sizes(), torch::IntArrayRef({96}));
              EXPECT_EQ(lin->options.in_features(), 48);
              EXPECT_EQ(lin->named_parameters().size(), 2u);
              auto conv = xm::make_conv1d(conv_opts);
              EXPECT_EQ(conv->weight.sizes(), torch::IntArrayRef({64, 8, 7}));
              EXPECT_EQ(conv->options.in_channels(), 32);
              EXPECT_EQ(conv->forward(torch::zeros({1, 32, 10})).sizes(),
                        torch::IntArrayRef({1, 64, 10}));
            }),
            untouched);
  EXPECT_FALSE(xm::parameter_init_skipped()) << "the guard restores on exit";
}

TEST(ParameterInit, AStrictlyLoadedModelBuiltWithoutInitComputesTheSame) {
  torch::manual_seed(3);
  xm::XCodec2Model reference(small_config(), /*with_training_heads=*/false);
  reference->prepare_for_inference();
  const auto state = xm::persistent_state(*reference);
  xm::XCodec2Model loaded{nullptr};
  {
    const xm::SkipParameterInit skip;
    loaded = xm::XCodec2Model(small_config(), /*with_training_heads=*/false);
  }
  std::map<std::string, torch::Tensor> tensors(state.begin(), state.end());
  loaded->load_weights(xm::MapSource(tensors), /*strict=*/true);
  loaded->prepare_for_inference();
  torch::manual_seed(4);
  const torch::Tensor codes = torch::randint(0, 65536, {1, 1, 12});
  torch::InferenceMode inference;
  EXPECT_TRUE(torch::equal(loaded->decode(codes), reference->decode(codes)));
}

TEST(ParameterInit, AMappedLoadUsesTheFilesPagesAndComputesTheSame) {
  torch::manual_seed(5);
  xm::XCodec2Model reference(small_config(), /*with_training_heads=*/false);
  xcodec::testing::TempDir dir;
  const std::string path = (dir.path() / "m.safetensors").string();
  xm::save_state(path, *reference);
  reference->prepare_for_inference();
  xm::XCodec2Model mapped{nullptr};
  {
    const xm::SkipParameterInit skip;
    mapped = xm::XCodec2Model(small_config(), /*with_training_heads=*/false);
  }
  {
    const auto file = xcodec::io::SafetensorsFile::open(path);
    mapped->load_weights(xm::SafetensorsSource(file), /*strict=*/true, /*map_weights=*/true);
    const std::string key = "generator.backbone.transformers.0.att.c_attn.weight";
    const auto params = mapped->named_parameters();
    ASSERT_NE(params.find(key), nullptr);
    EXPECT_EQ(params[key].data_ptr(), file->mapped_tensor(key).data_ptr()) << "copied";
  }
  mapped->prepare_for_inference();  // the file object is gone: its pages stay mapped
  torch::manual_seed(6);
  const torch::Tensor codes = torch::randint(0, 65536, {1, 1, 12});
  torch::InferenceMode inference;
  EXPECT_TRUE(torch::equal(mapped->decode(codes), reference->decode(codes)));
}
