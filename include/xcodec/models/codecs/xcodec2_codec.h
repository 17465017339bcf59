#pragma once
/// X-Codec-2.0 as a codec family ("xcodec2"): the model of xcodec2_model.h plus its semantic
/// teacher (w2v-BERT 2.0 hidden states; a folder, a seeded random one, or none), behind the
/// CodecModel interface. Its one auxiliary training loss is "semantic".
#include "xcodec/models/codecs/codec_registry.h"

namespace xcodec::models {

CodecFamily xcodec2_codec_family();

}  // namespace xcodec::models
