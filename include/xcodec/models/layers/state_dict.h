#pragma once
/// State dicts by the released checkpoint's key names: collect, load with a strict report,
/// save with self-describing metadata. Parameters and buffers whose dotted name has a
/// component starting with '_' are non-persistent (see foldable.h) and never saved or loaded.
#include <torch/nn/module.h>
#include <torch/types.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "xcodec/io/safetensors.h"

namespace xcodec::models {

/// Named parameters then persistent buffers of `module`, in registration order.
std::vector<std::pair<std::string, torch::Tensor>> persistent_state(
    const torch::nn::Module& module);

struct LoadStateOptions {
  /// Keys of parts built elsewhere (e.g. "semantic_model." = the w2v-BERT teacher): listed in
  /// the report's `foreign`, never loaded, never an error.
  std::vector<std::string> foreign_prefixes;
  /// Module keys that may be absent from the file (e.g. training-only heads): listed in
  /// `missing_optional`, left as they are.
  std::vector<std::string> optional_prefixes;
  /// Throw CheckpointError (with the full report) when anything is missing, unexpected or
  /// mis-shaped.
  bool strict = true;
  /// CPU tensors of the stored dtype use the source's memory instead of a copy where it can
  /// lend it (TensorSource::mapped: a safetensors file's pages). For inference loads: saves
  /// the copy's time and memory.
  bool map_weights = false;
};

struct LoadStateReport {
  std::vector<std::string> loaded;            ///< keys copied into the module
  std::vector<std::string> missing;           ///< in the module, absent from the file
  std::vector<std::string> missing_optional;  ///< absent but allowed (optional_prefixes)
  std::vector<std::string> unexpected;        ///< in the file, unknown to the module
  std::vector<std::string> mismatched;        ///< "key: file [..] vs model [..]"
  std::vector<std::string> foreign;           ///< keys under foreign_prefixes
  std::vector<std::string> ignored;           ///< non-persistent buffers of the original code
  bool ok() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  /// Multi-line human-readable summary (counts plus every problem key).
  std::string summary() const;
};

/// A source of named tensors (a safetensors file or an in-memory map).
class TensorSource {
 public:
  virtual ~TensorSource() = default;
  virtual std::vector<std::string> keys() const = 0;
  virtual std::vector<int64_t> shape(const std::string& key) const = 0;
  virtual torch::Tensor tensor(const std::string& key) const = 0;
  /// The tensor without a copy where the source can lend its memory; tensor(key) otherwise.
  virtual torch::Tensor mapped(const std::string& key) const { return tensor(key); }
  virtual std::string describe() const = 0;
};

class SafetensorsSource : public TensorSource {
 public:
  explicit SafetensorsSource(std::shared_ptr<const io::SafetensorsFile> file)
      : file_(std::move(file)) {}
  std::vector<std::string> keys() const override { return file_->keys(); }
  std::vector<int64_t> shape(const std::string& key) const override {
    return file_->entry(key).shape;
  }
  torch::Tensor tensor(const std::string& key) const override { return file_->tensor(key); }
  torch::Tensor mapped(const std::string& key) const override { return file_->mapped_tensor(key); }
  std::string describe() const override { return file_->path(); }

 private:
  std::shared_ptr<const io::SafetensorsFile> file_;
};

class MapSource : public TensorSource {
 public:
  explicit MapSource(std::map<std::string, torch::Tensor> tensors) : tensors_(std::move(tensors)) {}
  std::vector<std::string> keys() const override;
  std::vector<int64_t> shape(const std::string& key) const override;
  torch::Tensor tensor(const std::string& key) const override { return tensors_.at(key); }
  std::string describe() const override { return "<state dict>"; }

 private:
  std::map<std::string, torch::Tensor> tensors_;
};

/// Copies every matching tensor into `module` (converted to the module tensor's dtype and
/// device, under NoGrad), or with map_weights points it at the source's memory, and reports
/// the rest. Shapes are checked before anything is copied.
LoadStateReport load_state(torch::nn::Module& module, const TensorSource& source,
                           const LoadStateOptions& options = {});

/// Writes persistent_state(module) (moved to CPU) plus `metadata` to `path` atomically.
void save_state(const std::string& path, const torch::nn::Module& module,
                const std::map<std::string, std::string>& metadata = {});

}  // namespace xcodec::models
