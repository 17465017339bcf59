#pragma once
/// The one exception hierarchy of xcodec. Library code throws these (never exits); the CLI
/// catches them once in main(), prints one line and returns a non-zero status.
#include <stdexcept>
#include <string>

namespace xcodec {

/// Base of every error xcodec throws on purpose. The message names the file, key or value at fault.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A configuration key is unknown, mistyped or out of range.
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// A file cannot be read, written or parsed (audio, weights, tables, JSON).
class IoError : public Error {
 public:
  using Error::Error;
};

/// A checkpoint or weight file is missing tensors, has unexpected ones, or mis-shaped ones.
class CheckpointError : public Error {
 public:
  using Error::Error;
};

/// A tensor entering a module has the wrong rank, size or dtype.
class ShapeError : public Error {
 public:
  using Error::Error;
};

/// The run was interrupted by SIGINT/SIGTERM and stopped cleanly.
class Interrupted : public Error {
 public:
  using Error::Error;
};

}  // namespace xcodec
