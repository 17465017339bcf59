#pragma once
/// Training checkpoints: one safetensors file holding module weights and buffers, AdamW
/// moments and the RNG state under name prefixes, and JSON-able metadata (step, epoch,
/// loader position, config) in `__metadata__`. Written atomically, so a crash never leaves a
/// half-written checkpoint under its final name; readable from Python with `safetensors`.
#include <torch/nn/module.h>
#include <torch/optim/adamw.h>
#include <torch/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace xcodec::io {
class SafetensorsFile;
}

namespace xcodec::train {

class CheckpointWriter {
 public:
  /// Parameters and buffers of `module` as "<prefix><name>" (prefix usually ends with '.').
  void add_module(const std::string& prefix, const torch::nn::Module& module);
  /// AdamW state (step, exp_avg, exp_avg_sq) of the parameters of `module`, named like them.
  void add_optimizer(const std::string& prefix, torch::optim::AdamW& optimizer,
                     const torch::nn::Module& module);
  /// The default CPU generator's state (and CUDA's when available).
  void add_rng_state(const std::string& prefix = "rng.");
  void add_tensor(const std::string& name, const torch::Tensor& tensor);
  void set_metadata(const std::string& key, const std::string& value) { metadata_[key] = value; }
  /// Writes atomically (temp file + rename).
  void save(const std::string& path) const;

 private:
  std::vector<std::pair<std::string, torch::Tensor>> tensors_;
  std::map<std::string, std::string> metadata_;
};

class CheckpointReader {
 public:
  /// Opens and validates; throws CheckpointError naming the file if it is damaged.
  explicit CheckpointReader(const std::string& path);
  ~CheckpointReader();
  const std::string& path() const { return path_; }
  /// Copies "<prefix><name>" into each parameter/buffer of `module` (same device/dtype as the
  /// module). Strict: throws CheckpointError listing missing and mis-shaped names.
  void load_module(const std::string& prefix, torch::nn::Module& module) const;
  /// Restores the AdamW moments saved by add_optimizer for the parameters of `module`.
  void load_optimizer(const std::string& prefix, torch::optim::AdamW& optimizer,
                      const torch::nn::Module& module) const;
  /// Restores the generator state(s) saved by add_rng_state.
  void load_rng_state(const std::string& prefix = "rng.") const;
  bool has_tensor(const std::string& name) const;
  torch::Tensor tensor(const std::string& name) const;
  /// Throws CheckpointError when the key is absent.
  std::string metadata(const std::string& key) const;
  std::optional<std::string> find_metadata(const std::string& key) const;
  /// Tensor names starting with `prefix`.
  std::vector<std::string> keys_with_prefix(const std::string& prefix) const;

 private:
  std::string path_;
  std::shared_ptr<const io::SafetensorsFile> file_;
};

/// Whether `path` is a training checkpoint (metadata `xcodec.checkpoint_version`), as opposed
/// to an inference file (an export or released weights).
bool is_training_checkpoint(const std::string& path);

/// Checkpoints in `log_dir` to try when resuming, best first: last.ckpt, then step=N.ckpt by
/// decreasing N. Empty when there are none.
std::vector<std::string> resume_candidates(const std::string& log_dir);

}  // namespace xcodec::train
