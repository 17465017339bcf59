// The codec-family seam: families, discriminator sets and loss terms found by name; files
// written before the registry (config without `name:`) still load; nothing above models/
// tests a family's name.
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "support/test_support.h"
#include "xcodec/core/error.h"
#include "xcodec/io/safetensors.h"
#include "xcodec/models/codecs/codec_registry.h"
#include "xcodec/models/codecs/xcodec2_config.h"
#include "xcodec/models/codecs/xcodec2_model.h"
#include "xcodec/models/discriminators/discriminator_set.h"
#include "xcodec/models/layers/state_dict.h"
#include "xcodec/train/loss_terms.h"

namespace xcodec {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string tiny_yaml(bool with_name) {
  auto c = models::XCodec2Config::preset("tiny");
  c.semantic.teacher = "none";
  std::string yaml = c.to_yaml();
  if (!with_name) yaml = std::regex_replace(yaml, std::regex("name: xcodec2\n"), "");
  return yaml;
}

TEST(CodecRegistry, UnknownFamilyListsTheRegisteredOnes) {
  const std::string e = error_of([] { models::codec_family("wavenet"); });
  EXPECT_NE(e.find("wavenet"), std::string::npos) << e;
  for (const auto& name : models::codec_family_names())
    EXPECT_NE(e.find(name), std::string::npos) << e;
  EXPECT_NE(e.find("xcodec2"), std::string::npos) << e;
  const std::string b = error_of([] { models::build_codec("name: wavenet\n", {}); });
  EXPECT_NE(b.find("registered"), std::string::npos) << b;
}

TEST(CodecRegistry, BuildsByNameWithDefaultXcodec2) {
  EXPECT_EQ(models::codec_name_of("sample_rate: 16000\n"), "xcodec2");
  EXPECT_EQ(models::codec_name_of(tiny_yaml(true)), "xcodec2");
  auto codec = models::build_codec(tiny_yaml(false), {});
  const models::CodecInfo info = codec->info();
  EXPECT_EQ(info.name, "xcodec2");
  EXPECT_EQ(info.sample_rate, 16000);
  EXPECT_EQ(info.hop_length, 320);
  EXPECT_EQ(info.codebook_size, 256);  // tiny: levels [4, 4, 4, 4]
  EXPECT_TRUE(codec->can_encode());    // teacher none: zeros in
  EXPECT_EQ(codec->padded_length(320), 640);
  EXPECT_EQ(codec->decoded_length(3), 960);
}

// An inference file as exports wrote it before the registry existed: the config in the
// metadata has no `name:` key; and a file with no metadata at all is taken for X-Codec-2.0.
TEST(CodecRegistry, FilesFromBeforeTheRegistryStillLoad) {
  TempDir dir;
  auto c = models::XCodec2Config::preset("tiny");
  c.semantic.teacher = "none";
  models::XCodec2Model net(c, /*with_training_heads=*/false);
  const std::string old_style = (dir.path() / "old.safetensors").string();
  models::save_state(old_style, *net,
                     {{"format", "pt"},
                      {models::kMetaFormatVersion, "1"},
                      {models::kMetaModel, "xcodec2"},
                      {models::kMetaConfig, tiny_yaml(false)}});
  auto codec = models::load_codec(old_style);
  EXPECT_EQ(codec->info().name, "xcodec2");
  torch::manual_seed(3);
  const torch::Tensor wave = 0.1 * torch::randn({1, 1, codec->padded_length(1000)});
  const torch::Tensor codes = codec->encode(wave);
  EXPECT_EQ(codes.sizes(), (std::vector<int64_t>{1, 1, codec->padded_length(1000) / 320}));
  torch::NoGradGuard g;
  net->eval();
  net->prepare_for_inference();
  EXPECT_TRUE(torch::equal(codec->decode(codes), net->decode(codes)));

  const std::string bare = (dir.path() / "bare.safetensors").string();
  io::save_safetensors(bare, {{"x", torch::zeros({1})}}, {});
  EXPECT_EQ(models::codec_name_of_file(bare), "xcodec2");

  const std::string alien = (dir.path() / "alien.safetensors").string();
  io::save_safetensors(alien, {{"x", torch::zeros({1})}}, {{models::kMetaModel, "wavenet"}});
  const std::string e = error_of([&] { models::load_codec(alien); });
  EXPECT_NE(e.find(alien), std::string::npos) << e;
  EXPECT_NE(e.find("xcodec2"), std::string::npos) << e;
}

// A partial load (decode-only or encode-only) of a tiny X-Codec-2.0 file and the full load.
struct PartialLoad {
  std::unique_ptr<models::CodecModel> light, full;
  int64_t light_params = 0, full_params = 0;
  std::vector<std::string> light_keys;
};

PartialLoad load_tiny_partially(const TempDir& dir, bool decode_only, bool encode_only) {
  auto c = models::XCodec2Config::preset("tiny");
  c.semantic.teacher = "none";
  models::XCodec2Model net(c, /*with_training_heads=*/false);
  const std::string path = (dir.path() / "m.safetensors").string();
  net->save_weights(path);
  models::CodecBuildOptions o;
  o.decode_only = decode_only;
  o.encode_only = encode_only;
  PartialLoad r;
  r.light = models::load_codec(path, o);
  r.full = models::load_codec(path);
  for (const auto& p : r.light->module().named_parameters(true)) {
    r.light_params += p.value().numel();
    r.light_keys.push_back(p.key());
  }
  for (const auto& p : r.full->module().parameters(true)) r.full_params += p.numel();
  return r;
}

bool any_key_starts_with(const std::vector<std::string>& keys, const std::string& prefix) {
  for (const auto& k : keys)
    if (k.rfind(prefix, 0) == 0) return true;
  return false;
}

// A decode-only load never creates the encoder, the semantic branch or fc_prior, and decodes
// exactly as the full model does.
TEST(CodecRegistry, DecodeOnlyLoadCreatesNoEncoderParameters) {
  TempDir dir;
  const PartialLoad m = load_tiny_partially(dir, /*decode_only=*/true, /*encode_only=*/false);
  for (const char* prefix : {"CodecEnc.", "SemanticEncoder_module.", "fc_prior."})
    EXPECT_FALSE(any_key_starts_with(m.light_keys, prefix)) << prefix;
  EXPECT_LT(m.light_params, m.full_params);
  EXPECT_FALSE(m.light->can_encode());
  torch::manual_seed(5);
  const torch::Tensor codes = torch::randint(0, 256, {1, 1, 12}, torch::kInt32);
  torch::NoGradGuard g;
  EXPECT_TRUE(torch::equal(m.light->decode(codes), m.full->decode(codes)));
  const std::string e = error_of([&] {
    m.light->encode(torch::zeros({1, 1, m.light->padded_length(640)}));
  });
  EXPECT_NE(e.find("decoding only"), std::string::npos) << e;
}

// `xcodec encode` loads encode-only: no decoder backbone, head or fc_post_a, the same codes.
TEST(CodecRegistry, EncodeOnlyLoadCreatesNoDecoderParameters) {
  TempDir dir;
  const PartialLoad m = load_tiny_partially(dir, /*decode_only=*/false, /*encode_only=*/true);
  for (const char* prefix : {"generator.backbone.", "generator.head.", "fc_post_a."})
    EXPECT_FALSE(any_key_starts_with(m.light_keys, prefix)) << prefix;
  EXPECT_TRUE(any_key_starts_with(m.light_keys, "generator.quantizer."));
  EXPECT_LT(m.light_params, m.full_params);
  ASSERT_TRUE(m.light->can_encode());
  torch::manual_seed(5);
  const torch::Tensor wave = 0.1 * torch::randn({1, 1, m.light->padded_length(3000)});
  torch::NoGradGuard g;
  EXPECT_TRUE(torch::equal(m.light->encode(wave), m.full->encode(wave)));
  const std::string e = error_of([&] { m.light->decode(torch::zeros({1, 1, 4}, torch::kInt32)); });
  EXPECT_NE(e.find("encoding only"), std::string::npos) << e;
}

TEST(DiscriminatorSets, ChosenByNameUnknownListsTheRegistered) {
  const std::string e =
      error_of([] { models::make_discriminator_set(YAML::Load("{name: melgan}")); });
  EXPECT_NE(e.find("discriminator.name"), std::string::npos) << e;
  EXPECT_NE(e.find("melgan"), std::string::npos) << e;
  EXPECT_NE(e.find("xcodec2"), std::string::npos) << e;
  EXPECT_EQ(models::discriminator_set_kind(YAML::Load("{use_mpd: true}")).name, "xcodec2");
}

TEST(LossTerms, EveryTermHasANameAndTheListIsInErrors) {
  EXPECT_TRUE(train::is_loss_term("mel"));
  EXPECT_TRUE(train::is_loss_term("codebook"));
  EXPECT_FALSE(train::is_loss_term("melody"));
  for (const char* t : {"mel", "stft", "l1", "adv", "feat", "semantic", "codebook", "disc"})
    EXPECT_NE(train::loss_term_names().find(t), std::string::npos) << t;
}

// The seam's rule: the trainer, the inference facade and the CLI never compare against a
// family's name (a new family is new files plus registration lines).
TEST(CodecRegistry, NothingAboveModelsTestsAFamilyName) {
  const fs::path root(XCODEC_SOURCE_DIR);
  std::vector<std::string> names = models::codec_family_names();
  for (const auto& k : models::discriminator_set_kinds()) names.push_back(k.name);
  for (const char* area : {"src/train", "src/infer", "src/cli", "src/eval"}) {
    for (const auto& entry : fs::recursive_directory_iterator(root / area)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      for (const auto& name : names) {
        const std::regex cmp("(==|!=)\\s*\"" + name + "\"|\"" + name + "\"\\s*(==|!=)");
        EXPECT_FALSE(std::regex_search(text.str(), cmp))
            << entry.path() << " compares against the family name '" << name << "'";
      }
    }
  }
}

}  // namespace
}  // namespace xcodec
