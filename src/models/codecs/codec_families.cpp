// The registered codec families: one line per family.
#include <vector>

#include "xcodec/models/codecs/codec_registry.h"
#include "xcodec/models/codecs/dwan_codec.h"
#include "xcodec/models/codecs/xcodec2_codec.h"

namespace xcodec::models {

const std::vector<CodecFamily>& codec_families() {
  static const std::vector<CodecFamily> families = {
      xcodec2_codec_family(),
      dwan_codec_family(),
  };
  return families;
}

}  // namespace xcodec::models
