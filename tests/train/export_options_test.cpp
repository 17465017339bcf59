// `xcodec export --card/--metadata`: the options are checked before any file is read (the
// round trip into `__metadata__` is covered by DefaultModel.ShippedFileLoadsAndCarriesItsModelCard
// and scripts/train-default-model.sh).
#include <gtest/gtest.h>

#include "xcodec/core/error.h"
#include "xcodec/train/export.h"

namespace xcodec::train {
namespace {

TEST(ExportOptions, RefusesReservedKeysAndBadCards) {
  ExportOptions o;
  o.metadata["xcodec.config"] = "name: other";
  EXPECT_THROW(export_checkpoint("/nonexistent.ckpt", "/tmp/x.safetensors", o), ConfigError);
  o.metadata = {{kMetaModelCard, "{}"}};
  EXPECT_THROW(export_checkpoint("/nonexistent.ckpt", "/tmp/x.safetensors", o), ConfigError);
  o.metadata.clear();
  o.model_card = "not json";
  EXPECT_THROW(export_checkpoint("/nonexistent.ckpt", "/tmp/x.safetensors", o), ConfigError);
  o.model_card = "[1, 2]";
  EXPECT_THROW(export_checkpoint("/nonexistent.ckpt", "/tmp/x.safetensors", o), ConfigError);
  // Valid options get as far as reading the checkpoint.
  o.model_card = R"({"name": "x"})";
  o.metadata = {{"xcodec.note", "hello"}};
  EXPECT_THROW(export_checkpoint("/nonexistent.ckpt", "/tmp/x.safetensors", o), IoError);
}

}  // namespace
}  // namespace xcodec::train
