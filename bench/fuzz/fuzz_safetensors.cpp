// libFuzzer harness: the safetensors reader (src/io/safetensors.cpp) on arbitrary file bytes.
// Opens the bytes as a file, reads every tensor and the metadata, then checks that what was read
// survives our own writer: to_safetensors → open gives the same names, dtypes, shapes and bytes.
#include <torch/types.h>

#include <cstring>

#include "fuzz_util.h"
#include "xcodec/io/safetensors.h"

namespace {

using xcodec::fuzz::die;
using xcodec::io::SafetensorsFile;

bool same_bytes(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes()) return false;
  const size_t n = static_cast<size_t>(a.numel()) * a.element_size();
  return n == 0 || std::memcmp(a.data_ptr(), b.data_ptr(), n) == 0;
}

void check_round_trip(const SafetensorsFile& file,
                      const std::vector<std::pair<std::string, torch::Tensor>>& tensors) {
  const xcodec::fuzz::MemFile copy(xcodec::io::to_safetensors(tensors, file.metadata()));
  std::shared_ptr<const SafetensorsFile> again;
  try {
    again = SafetensorsFile::open(copy.path());
  } catch (const xcodec::Error& e) {
    die("our writer produced a file our reader rejects", e.what());
  }
  if (again->keys() != file.keys()) die("round trip", "tensor names differ");
  if (again->metadata() != file.metadata()) die("round trip", "metadata differs");
  for (const auto& [name, tensor] : tensors) {
    if (!same_bytes(again->tensor(name), tensor))
      die("round trip", "tensor '" + name + "' differs");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const xcodec::fuzz::MemFile input(data, size);
  xcodec::fuzz::run_reader([&] {
    const auto file = SafetensorsFile::open(input.path());
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    for (const std::string& name : file->keys()) {
      const auto& entry = file->entry(name);
      torch::Tensor t = file->tensor(name);
      if (static_cast<uint64_t>(t.numel()) * t.element_size() != entry.end - entry.begin)
        die("tensor size", "'" + name + "' does not match its data_offsets");
      tensors.emplace_back(name, std::move(t));
    }
    (void)file->contains("no such tensor");
    check_round_trip(*file, tensors);
  });
  return 0;
}
