// libFuzzer harness: the training checkpoint loader (src/train/checkpoint.cpp) on arbitrary
// file bytes, as a resume runs it: open, load a module's weights and buffers, its AdamW moments
// and the RNG state, read metadata, then take one optimizer step with what was loaded (a
// loader that accepted inconsistent state would fail there, outside xcodec::Error).
// The module and prefixes match the seed checkpoints written by fuzz_seeds.
#include <torch/torch.h>

#include "fuzz_checkpoint_module.h"
#include "fuzz_util.h"
#include "xcodec/train/checkpoint.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  torch::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const xcodec::fuzz::MemFile input(data, size);
  torch::manual_seed(0);
  xcodec::fuzz::CheckpointModel model = xcodec::fuzz::make_checkpoint_model();
  xcodec::fuzz::run_reader([&] {
    const xcodec::train::CheckpointReader reader(input.path());
    (void)reader.find_metadata("step");
    (void)reader.keys_with_prefix("model.");
    reader.load_module("model.", *model.module);
    reader.load_optimizer("optim.", *model.optimizer, *model.module);
    reader.load_rng_state();
    xcodec::fuzz::train_step(model);
  });
  return 0;
}
