#pragma once
/// Inference-time folding: modules that can precompute something from their parameters once
/// (weight normalisation, Snake exponentials, polyphase filters) implement `Foldable`.
///
/// Convention used by every module of xcodec::models: buffers whose name starts with '_' are
/// NON-PERSISTENT (derived from parameters or constants, recomputed, never saved or loaded).
#include <torch/nn/module.h>

namespace xcodec::models {

/// A module that caches values derived from its parameters for inference.
class Foldable {
 public:
  virtual ~Foldable() = default;
  /// Computes the cache from the current parameters (call again after loading new weights).
  virtual void fold() = 0;
  /// Drops back to computing from the parameters on every call (needed before training).
  virtual void unfold() = 0;
  virtual bool folded() const = 0;
};

/// Calls fold() on `module` and every descendant that implements Foldable, under NoGrad.
void fold_for_inference(torch::nn::Module& module);
/// Calls unfold() on `module` and every Foldable descendant.
void unfold_all(torch::nn::Module& module);
/// True for names of non-persistent buffers (any dotted component starting with '_').
bool is_non_persistent_key(const std::string& key);

}  // namespace xcodec::models
