#pragma once
/// Skipping random initialisation for models whose weights are about to be loaded. Building
/// the full X-Codec-2.0 decoder draws 0.8 s of random numbers (1 thread) that loading then
/// overwrites. While a SkipParameterInit lives on this thread, the layers built through
/// make_linear / make_conv1d (and the model's own initialisers, which ask
/// parameter_init_skipped()) get parameters of the right shapes left uninitialised. Only for a
/// load that fails on any missing key (strict): whatever is not loaded would be garbage.
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

namespace xcodec::models {

class SkipParameterInit {
 public:
  SkipParameterInit();
  ~SkipParameterInit();
  SkipParameterInit(const SkipParameterInit&) = delete;
  SkipParameterInit& operator=(const SkipParameterInit&) = delete;

 private:
  bool previous_;
};

/// Whether a SkipParameterInit is alive on this thread.
bool parameter_init_skipped();

/// torch::nn::Linear(options) as LibTorch initialises it, or uninitialised under
/// SkipParameterInit.
torch::nn::Linear make_linear(const torch::nn::LinearOptions& options);
/// torch::nn::Conv1d(options) likewise.
torch::nn::Conv1d make_conv1d(const torch::nn::Conv1dOptions& options);

}  // namespace xcodec::models
