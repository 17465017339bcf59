#include "xcodec/io/npy.h"

#include <torch/torch.h>

#include <cctype>
#include <cstring>

#include "xcodec/core/error.h"
#include "xcodec/io/atomic_file.h"

namespace xcodec::io {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMaxHeader = 1 << 20;

struct DtypeCode {
  const char* descr;
  torch::ScalarType type;
};
constexpr DtypeCode kDtypes[] = {
    {"<f4", torch::kFloat32}, {"<f8", torch::kFloat64}, {"<f2", torch::kFloat16},
    {"<i8", torch::kInt64},   {"<i4", torch::kInt32},   {"<i2", torch::kInt16},
    {"|i1", torch::kInt8},    {"|u1", torch::kUInt8},   {"|b1", torch::kBool},
};

torch::ScalarType dtype_from_descr(const std::string& descr, const std::string& name) {
  for (const auto& d : kDtypes) {
    if (descr == d.descr) return d.type;
  }
  const std::string shown = descr.size() > 32 ? descr.substr(0, 32) + "..." : descr;
  throw IoError(name + ": unsupported .npy dtype '" + shown + "'");
}

const char* descr_from_dtype(torch::ScalarType type) {
  for (const auto& d : kDtypes) {
    if (type == d.type) return d.descr;
  }
  throw IoError(std::string("cannot write dtype ") + c10::toString(type) + " to .npy");
}

// Position of the value of 'key' in the header's dict literal ({'descr': '<f4', 'fortran_order':
// False, 'shape': (3, 4), }), or npos. A linear scan: the std::regex search used before recursed
// once per character and overflowed the stack on a long header.
size_t dict_value(const std::string& header, const std::string& key) {
  size_t i = header.find("'" + key + "'");
  if (i == std::string::npos) return i;
  i += key.size() + 2;
  auto skip_spaces = [&] {
    while (i < header.size() && std::isspace(static_cast<unsigned char>(header[i]))) ++i;
  };
  skip_spaces();
  if (i >= header.size() || header[i] != ':') return std::string::npos;
  ++i;
  skip_spaces();
  return i < header.size() ? i : std::string::npos;
}

}  // namespace

torch::Tensor parse_npy(const std::string& bytes, const std::string& name) {
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0) {
    throw IoError(name + ": not a .npy file (bad magic)");
  }
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len = 0;
  size_t header_start = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw IoError(name + ": truncated .npy header");
    uint32_t len = 0;
    std::memcpy(&len, bytes.data() + 8, 4);
    header_len = len;
    header_start = 12;
  } else {
    throw IoError(name + ": unsupported .npy version " + std::to_string(major));
  }
  if (header_len > kMaxHeader || header_start + header_len > bytes.size()) {
    throw IoError(name + ": truncated .npy header");
  }
  const std::string header = bytes.substr(header_start, header_len);

  const size_t descr_at = dict_value(header, "descr");
  if (descr_at == std::string::npos || header[descr_at] != '\'')
    throw IoError(name + ": .npy header has no descr");
  const size_t descr_end = header.find('\'', descr_at + 1);
  if (descr_end == std::string::npos || descr_end == descr_at + 1)
    throw IoError(name + ": .npy header has no descr");
  std::string descr = header.substr(descr_at + 1, descr_end - descr_at - 1);
  if (descr.size() == 3 && descr[0] == '=') descr[0] = '<';
  if (descr == "<b1" || descr == "<u1" || descr == "<i1") descr[0] = '|';
  const torch::ScalarType type = dtype_from_descr(descr, name);
  const size_t order_at = dict_value(header, "fortran_order");
  if (order_at != std::string::npos && header.compare(order_at, 4, "True") == 0)
    throw IoError(name + ": Fortran-ordered .npy arrays are not supported");
  if (order_at == std::string::npos || header.compare(order_at, 5, "False") != 0)
    throw IoError(name + ": .npy header has no fortran_order");
  const size_t shape_at = dict_value(header, "shape");
  if (shape_at == std::string::npos || header[shape_at] != '(')
    throw IoError(name + ": .npy header has no shape");

  // The shape tuple: non-negative integers separated by commas, optional trailing comma.
  std::vector<int64_t> shape;
  uint64_t numel = 1;
  size_t i = shape_at + 1;
  auto skip_spaces = [&] {
    while (i < header.size() && std::isspace(static_cast<unsigned char>(header[i]))) ++i;
  };
  auto bad_shape = [&]() -> IoError {
    return IoError(name + ": malformed .npy shape at header byte " + std::to_string(i));
  };
  while (true) {
    skip_spaces();
    if (i >= header.size()) throw bad_shape();
    if (header[i] == ')') break;
    const size_t digits_at = i;
    while (i < header.size() && std::isdigit(static_cast<unsigned char>(header[i]))) ++i;
    const std::string digits = header.substr(digits_at, i - digits_at);
    if (digits.empty()) throw bad_shape();
    if (digits.size() > 15) throw IoError(name + ": absurd .npy dimension " + digits);
    const int64_t d = std::stoll(digits);
    // Checked before multiplying, so the product can neither wrap around nor get absurd.
    if (d != 0 && numel > (uint64_t{1} << 40) / static_cast<uint64_t>(d))
      throw IoError(name + ": absurd .npy size");
    numel *= static_cast<uint64_t>(d);
    shape.push_back(d);
    if (shape.size() > 64) throw IoError(name + ": absurd .npy rank (over 64 dimensions)");
    skip_spaces();
    if (i < header.size() && header[i] == ',') {
      ++i;
    } else if (i >= header.size() || header[i] != ')') {
      throw bad_shape();
    }
  }
  const size_t data_start = header_start + header_len;
  const uint64_t nbytes = numel * c10::elementSize(type);
  if (bytes.size() - data_start != nbytes) {
    throw IoError(name + ": .npy data has " + std::to_string(bytes.size() - data_start) +
                  " bytes, the header says " + std::to_string(nbytes));
  }
  torch::Tensor out = torch::empty(shape, torch::TensorOptions().dtype(type));
  if (nbytes > 0) std::memcpy(out.data_ptr(), bytes.data() + data_start, nbytes);
  return out;
}

torch::Tensor load_npy(const std::string& path) { return parse_npy(read_file(path), path); }

std::string to_npy(const torch::Tensor& tensor) {
  const torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
  std::string dict = std::string("{'descr': '") + descr_from_dtype(t.scalar_type()) +
                     "', 'fortran_order': False, 'shape': (";
  for (int64_t i = 0; i < t.dim(); ++i) {
    dict += std::to_string(t.size(i));
    if (t.dim() == 1 || i + 1 < t.dim()) dict += ",";
    if (i + 1 < t.dim()) dict += " ";
  }
  dict += "), }";
  // Pad so that magic + 4 + header is a multiple of 64, ending in '\n' (NEP 1).
  const size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  std::string out(kMagic, 6);
  out += static_cast<char>(1);
  out += static_cast<char>(0);
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>((dict.size() >> 8) & 0xff);
  out += dict;
  out.append(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
  return out;
}

void save_npy(const std::string& path, const torch::Tensor& tensor) {
  write_file_atomic(path, to_npy(tensor));
}

}  // namespace xcodec::io
