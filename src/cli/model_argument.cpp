#include "cli/model_argument.h"

#include "xcodec/infer/default_model.h"

namespace xcodec::cli {

std::string model_argument(const std::string& given) {
#ifdef XCODEC_SOURCE_MODELS_DIR
  const std::vector<std::string> extra = {XCODEC_SOURCE_MODELS_DIR};
#else
  const std::vector<std::string> extra;
#endif
  return infer::model_or_default(given, "", extra);
}

}  // namespace xcodec::cli
