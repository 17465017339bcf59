#pragma once
/// DwanCodec as a codec family ("dwan"; spec quantizers-and-variants.md §5): the generator of
/// models/dwan/dwan_generator.h behind the CodecModel interface. 24 kHz, hop 512 (46.875 Hz),
/// one FSQ code per frame by default. Its one auxiliary training loss is "codebook" (the
/// quantizer's own loss; zero for FSQ).
///
/// Lengths: encode() takes padded_length(n) = (ceil(n / 512) + 1)·512 samples and gives
/// T = padded_length(n) / 512 frames; decode() gives (T − 1)·512 ≥ n samples (centre-mode
/// ISTFT). The original pads to ceil(n / 512)·512 only and so returns up to one hop less than
/// its input; the extra hop of padding here makes the output cover the input.
///
///   auto codec = models::make_dwan_codec(models::DwanConfig::from_yaml_file("dwan-tiny.yaml"));
///   torch::Tensor codes = codec->encode(padded);   // [B, 1, T] int32
///   torch::Tensor audio = codec->decode(codes);    // [B, 1, (T − 1)·512]
#include <memory>
#include <string>

#include "xcodec/models/codecs/codec_registry.h"
#include "xcodec/models/dwan/dwan_config.h"

namespace xcodec::models {

/// The family to register in codec_families.cpp.
CodecFamily dwan_codec_family();

/// A DwanCodec built from a config (random init, in training mode when options.training).
std::unique_ptr<CodecModel> make_dwan_codec(const DwanConfig& config,
                                            const CodecBuildOptions& options = {});

/// A DwanCodec from an inference file: config from its `xcodec.config` metadata, weights
/// loaded strictly, prepared for inference. CheckpointError if the file holds another family.
std::unique_ptr<CodecModel> load_dwan_codec(const std::string& path,
                                            const CodecBuildOptions& options = {});

}  // namespace xcodec::models
