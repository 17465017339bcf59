#pragma once
/// safetensors reader and writer of our own (https://github.com/huggingface/safetensors format):
/// u64 little-endian header length, a JSON header {name: {dtype, shape, data_offsets}, optional
/// "__metadata__": {str: str}}, then raw little-endian data.
///
/// The reader memory-maps the file and checks every offset and shape against the file size
/// before anything is touched, so a malformed or hostile file gives an IoError naming the file
/// and tensor, never a crash or an out-of-bounds read.
#include <torch/types.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace xcodec::io {

/// One tensor's entry in a safetensors header.
struct SafetensorsEntry {
  std::string name;
  torch::ScalarType dtype;     ///< F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL
  std::vector<int64_t> shape;  ///< row-major
  uint64_t begin = 0;          ///< byte offset into the data section
  uint64_t end = 0;            ///< one past the last byte
};

/// A memory-mapped safetensors file. Cheap to keep open; tensors are copied out, or used in
/// place (mapped_tensor).
class SafetensorsFile : public std::enable_shared_from_this<SafetensorsFile> {
 public:
  /// Opens and validates `path`; throws IoError on any inconsistency.
  static std::shared_ptr<const SafetensorsFile> open(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  /// Tensor names in header order (sorted by offset).
  std::vector<std::string> keys() const;
  bool contains(const std::string& name) const { return index_.count(name) != 0; }
  /// Throws IoError naming the missing key.
  const SafetensorsEntry& entry(const std::string& name) const;
  /// A CPU tensor holding a copy of the data, in the stored dtype.
  torch::Tensor tensor(const std::string& name) const;
  /// A CPU tensor over the file's own pages, without a copy, where the stored bytes are aligned
  /// for the dtype (else tensor(name)). It keeps the file mapped while it lives. The mapping is
  /// private: writing to the tensor changes this process's copy of the page, never the file.
  /// Pages are read when first touched and, being the file's, can be dropped and re-read by the
  /// kernel under memory pressure and are shared with other processes mapping the same file.
  torch::Tensor mapped_tensor(const std::string& name) const;
  /// The "__metadata__" string map (empty if absent).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  SafetensorsFile() = default;
  std::string path_;
  const unsigned char* map_ = nullptr;
  size_t map_size_ = 0;
  size_t data_start_ = 0;
  std::vector<SafetensorsEntry> entries_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

/// Serialises named tensors (any device/dtype supported above) plus string metadata.
std::string to_safetensors(const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                           const std::map<std::string, std::string>& metadata = {});

/// Writes atomically (temp file + rename).
void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

/// Loads every tensor of a file into a name → tensor map (CPU, stored dtype).
std::map<std::string, torch::Tensor> load_safetensors(const std::string& path);

}  // namespace xcodec::io
