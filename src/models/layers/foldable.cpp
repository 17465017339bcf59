#include "xcodec/models/layers/foldable.h"

#include <torch/torch.h>

namespace xcodec::models {

namespace {
template <typename F>
void for_each_foldable(torch::nn::Module& module, F&& f) {
  if (auto* self = dynamic_cast<Foldable*>(&module)) f(*self);
  for (const auto& child : module.modules(/*include_self=*/false)) {
    if (auto* fo = dynamic_cast<Foldable*>(child.get())) f(*fo);
  }
}
}  // namespace

void fold_for_inference(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for_each_foldable(module, [](Foldable& f) { f.fold(); });
}

void unfold_all(torch::nn::Module& module) {
  for_each_foldable(module, [](Foldable& f) { f.unfold(); });
}

bool is_non_persistent_key(const std::string& key) {
  size_t start = 0;
  while (start <= key.size()) {
    if (start < key.size() && key[start] == '_') return true;
    const size_t dot = key.find('.', start);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return false;
}

}  // namespace xcodec::models
