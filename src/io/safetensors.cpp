#include "xcodec/io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <torch/torch.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "xcodec/core/error.h"
#include "xcodec/io/atomic_file.h"

namespace xcodec::io {
namespace {

// Headers of real checkpoints are a few hundred KB; anything near this is hostile.
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

struct DtypeName {
  const char* name;
  torch::ScalarType type;
};
constexpr DtypeName kDtypes[] = {
    {"F32", torch::kFloat32}, {"F16", torch::kFloat16}, {"BF16", torch::kBFloat16},
    {"F64", torch::kFloat64}, {"I64", torch::kInt64},   {"I32", torch::kInt32},
    {"I16", torch::kInt16},   {"I8", torch::kInt8},     {"U8", torch::kUInt8},
    {"BOOL", torch::kBool},
};

torch::ScalarType parse_dtype(const std::string& s, const std::string& where) {
  for (const auto& d : kDtypes) {
    if (s == d.name) return d.type;
  }
  throw IoError(where + ": unsupported dtype '" + s + "'");
}

const char* dtype_name(torch::ScalarType t) {
  for (const auto& d : kDtypes) {
    if (t == d.type) return d.name;
  }
  throw IoError(std::string("safetensors cannot store dtype ") + c10::toString(t));
}

}  // namespace

std::shared_ptr<const SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  std::shared_ptr<SafetensorsFile> f(new SafetensorsFile());
  f->path_ = path;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoError("cannot open '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw IoError("'" + path + "' is not a regular file");
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < 8) {
    ::close(fd);
    throw IoError(path + ": too short for a safetensors file (" + std::to_string(size) + " bytes)");
  }
  // Writable but private (copy-on-write): mapped_tensor() hands out pages that a caller may
  // modify in place without touching the file.
  void* map = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) throw IoError("cannot map '" + path + "': " + std::strerror(errno));
  f->map_ = static_cast<const unsigned char*>(map);
  f->map_size_ = size;

  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | f->map_[i];
  if (header_len > kMaxHeaderBytes || header_len > size - 8) {
    throw IoError(path + ": header length " + std::to_string(header_len) +
                  " exceeds the file size " + std::to_string(size));
  }
  f->data_start_ = 8 + header_len;
  const uint64_t data_size = size - f->data_start_;

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(f->map_ + 8, f->map_ + 8 + header_len);
  } catch (const std::exception& e) {
    throw IoError(path + ": header is not valid JSON (" + e.what() + ")");
  }
  if (!header.is_object()) throw IoError(path + ": header is not a JSON object");

  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string where = path + ": tensor '" + it.key() + "'";
    if (it.key() == "__metadata__") {
      if (!it.value().is_object()) throw IoError(path + ": __metadata__ is not an object");
      for (auto m = it.value().begin(); m != it.value().end(); ++m) {
        if (!m.value().is_string())
          throw IoError(path + ": __metadata__['" + m.key() + "'] is not a string");
        f->metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const auto& v = it.value();
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") ||
        !v.contains("data_offsets") || !v["dtype"].is_string() || !v["shape"].is_array() ||
        !v["data_offsets"].is_array() || v["data_offsets"].size() != 2) {
      throw IoError(where + " has a malformed header entry");
    }
    SafetensorsEntry e;
    e.name = it.key();
    e.dtype = parse_dtype(v["dtype"].get<std::string>(), where);
    uint64_t numel = 1;
    for (const auto& d : v["shape"]) {
      if (!d.is_number_unsigned())
        throw IoError(where + " has a non-integer or negative dimension");
      const uint64_t dim = d.get<uint64_t>();
      // Each dimension on its own too: beside a 0 one, any size made the product 0, and one
      // beyond int64 reached LibTorch as a negative size (c10::Error).
      if (dim > (uint64_t{1} << 48) || (dim != 0 && numel > (uint64_t{1} << 48) / dim))
        throw IoError(where + " has an absurd shape");
      numel *= dim;
      e.shape.push_back(static_cast<int64_t>(dim));
    }
    for (const auto& o : v["data_offsets"]) {
      if (!o.is_number_unsigned()) throw IoError(where + " has a negative or non-integer offset");
    }
    e.begin = v["data_offsets"][0].get<uint64_t>();
    e.end = v["data_offsets"][1].get<uint64_t>();
    if (e.begin > e.end || e.end > data_size) {
      throw IoError(where + ": offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                    ") lie outside the " + std::to_string(data_size) + "-byte data section");
    }
    if (e.end - e.begin != numel * c10::elementSize(e.dtype)) {
      throw IoError(where + ": " + std::to_string(e.end - e.begin) + " bytes for " +
                    std::to_string(numel) + " elements of " + v["dtype"].get<std::string>());
    }
    f->entries_.push_back(std::move(e));
  }
  std::sort(f->entries_.begin(), f->entries_.end(),
            [](const SafetensorsEntry& a, const SafetensorsEntry& b) { return a.begin < b.begin; });
  for (size_t i = 0; i < f->entries_.size(); ++i) {
    if (i > 0 && f->entries_[i].begin < f->entries_[i - 1].end) {
      throw IoError(path + ": tensors '" + f->entries_[i - 1].name + "' and '" +
                    f->entries_[i].name + "' overlap");
    }
    f->index_[f->entries_[i].name] = i;
  }
  return f;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_ != nullptr) ::munmap(const_cast<unsigned char*>(map_), map_size_);
}

std::vector<std::string> SafetensorsFile::keys() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) out.push_back(e.name);
  return out;
}

const SafetensorsEntry& SafetensorsFile::entry(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) throw IoError(path_ + ": no tensor named '" + name + "'");
  return entries_[it->second];
}

torch::Tensor SafetensorsFile::tensor(const std::string& name) const {
  const SafetensorsEntry& e = entry(name);
  torch::Tensor out = torch::empty(e.shape, torch::TensorOptions().dtype(e.dtype));
  if (e.end > e.begin) {
    const unsigned char* src = map_ + data_start_ + e.begin;
    std::memcpy(out.data_ptr(), src, e.end - e.begin);
    // The caller now owns a copy: drop the file's pages from this process (a later read
    // faults them in again from the file), so loading a model does not hold every weight
    // twice. Only pages wholly inside this tensor: a page it shares with a neighbour may back a
    // mapped_tensor() that was written to, and dropping it would lose that write.
    static const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
    const uintptr_t first = (reinterpret_cast<uintptr_t>(src) + page - 1) & ~(page - 1);
    const uintptr_t last = (reinterpret_cast<uintptr_t>(src) + (e.end - e.begin)) & ~(page - 1);
    if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
  }
  return out;
}

torch::Tensor SafetensorsFile::mapped_tensor(const std::string& name) const {
  const SafetensorsEntry& e = entry(name);
  unsigned char* src = const_cast<unsigned char*>(map_) + data_start_ + e.begin;
  const uintptr_t at = reinterpret_cast<uintptr_t>(src);
  // oneDNN convolutions given weights off a 64-byte boundary took a path whose memory grew
  // with the input's length (encode of 10 s: +230 MB): those are copied. Matrices and vectors
  // are read in place as they are.
  const bool aligned = e.shape.size() <= 2 ? at % c10::elementSize(e.dtype) == 0 : at % 64 == 0;
  if (e.end == e.begin || !aligned) return tensor(name);
#ifdef MADV_POPULATE_READ
  // Map the pages now, in one call, rather than one fault at a time in the first forward
  // pass (decode of 10 s: 0.3 s less). Older kernels refuse; the pages then fault in lazily.
  static const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t first = at & ~(page - 1);
  ::madvise(reinterpret_cast<void*>(first), at + (e.end - e.begin) - first, MADV_POPULATE_READ);
#endif
  std::shared_ptr<const SafetensorsFile> keep = shared_from_this();
  return torch::from_blob(
      src, e.shape, [keep](void*) {}, torch::TensorOptions().dtype(e.dtype));
}

std::string to_safetensors(const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                           const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<torch::Tensor> cpu;
  cpu.reserve(tensors.size());
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    if (name == "__metadata__" || header.contains(name)) {
      throw IoError("safetensors: duplicate or reserved tensor name '" + name + "'");
    }
    cpu.push_back(t.detach().to(torch::kCPU).contiguous());
    const uint64_t n = cpu.back().numel() * cpu.back().element_size();
    header[name] = {{"dtype", dtype_name(t.scalar_type())},
                    {"shape", t.sizes().vec()},
                    {"data_offsets", {offset, offset + n}}};
    offset += n;
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');  // keeps the data 8-byte aligned
  std::string out(8, '\0');
  uint64_t len = json.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((len >> (8 * i)) & 0xff);
  out += json;
  out.reserve(out.size() + offset);
  for (const auto& t : cpu)
    out.append(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
  return out;
}

void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  write_file_atomic(path, to_safetensors(tensors, metadata));
}

std::map<std::string, torch::Tensor> load_safetensors(const std::string& path) {
  auto file = SafetensorsFile::open(path);
  std::map<std::string, torch::Tensor> out;
  for (const auto& k : file->keys()) out.emplace(k, file->tensor(k));
  return out;
}

}  // namespace xcodec::io
