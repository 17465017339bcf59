#pragma once
/// NumPy .npy files (format versions 1-3, C order, little-endian): the format of token files
/// and of the reference fixtures, so Python reads what we write with numpy.load.
#include <torch/types.h>

#include <string>

namespace xcodec::io {

/// Loads an array as a CPU tensor with the matching dtype (f2/f4/f8, i1/i2/i4/i8, u1, b1).
/// Throws IoError naming the file on a malformed header, Fortran order, big-endian data or a
/// size that disagrees with the file length.
torch::Tensor load_npy(const std::string& path);

/// Parses an in-memory .npy image; `name` only labels errors.
torch::Tensor parse_npy(const std::string& bytes, const std::string& name);

/// Serialises a tensor (any device; made contiguous on CPU) to .npy bytes (format 1.0).
std::string to_npy(const torch::Tensor& tensor);

/// Writes a tensor atomically as .npy.
void save_npy(const std::string& path, const torch::Tensor& tensor);

}  // namespace xcodec::io
