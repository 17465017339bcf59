#include "xcodec/models/layers/parameter_init.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <mutex>

namespace xcodec::models {

namespace {
thread_local bool skip_init = false;

// The stand-in's initialisation draws from the global generator: put its state back, so that
// building for a load leaves seeded random streams as they were.
class KeepGlobalRandomState {
 public:
  KeepGlobalRandomState() : generator_(at::detail::getDefaultCPUGenerator()) {
    std::lock_guard<std::mutex> lock(generator_.mutex());
    state_ = generator_.get_state();
  }
  ~KeepGlobalRandomState() {
    std::lock_guard<std::mutex> lock(generator_.mutex());
    generator_.set_state(state_);
  }

 private:
  at::Generator generator_;
  torch::Tensor state_;
};
}  // namespace

SkipParameterInit::SkipParameterInit() : previous_(skip_init) { skip_init = true; }
SkipParameterInit::~SkipParameterInit() { skip_init = previous_; }

bool parameter_init_skipped() { return skip_init; }

// LibTorch initialises inside the constructor, so the layer is built with a one-element (per
// group) stand-in and its parameters are then given their real shapes: set_data keeps them
// the very tensors the module registered.
torch::nn::Linear make_linear(const torch::nn::LinearOptions& options) {
  if (!skip_init) return torch::nn::Linear(options);
  const KeepGlobalRandomState keep;
  torch::nn::Linear layer(torch::nn::LinearOptions(1, 1).bias(options.bias()));
  torch::NoGradGuard no_grad;
  layer->weight.set_data(torch::empty({options.out_features(), options.in_features()}));
  if (options.bias()) layer->bias.set_data(torch::empty({options.out_features()}));
  layer->options.in_features(options.in_features()).out_features(options.out_features());
  return layer;
}

torch::nn::Conv1d make_conv1d(const torch::nn::Conv1dOptions& options) {
  if (!skip_init) return torch::nn::Conv1d(options);
  const int64_t groups = options.groups();
  torch::nn::Conv1dOptions small = options;
  small.in_channels(groups).out_channels(groups);
  const KeepGlobalRandomState keep;
  torch::nn::Conv1d layer(small);
  torch::NoGradGuard no_grad;
  layer->weight.set_data(torch::empty(
      {options.out_channels(), options.in_channels() / groups, (*options.kernel_size())[0]}));
  if (options.bias()) layer->bias.set_data(torch::empty({options.out_channels()}));
  layer->options.in_channels(options.in_channels()).out_channels(options.out_channels());
  return layer;
}

}  // namespace xcodec::models
