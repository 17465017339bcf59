// libFuzzer harness: the .npy reader (src/io/npy.cpp) on arbitrary bytes, through the path API
// (load_npy) like token files are read; what it returns must survive to_npy → parse_npy.
#include <torch/types.h>

#include <cstring>

#include "fuzz_util.h"
#include "xcodec/io/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using xcodec::fuzz::die;
  const xcodec::fuzz::MemFile input(data, size);
  xcodec::fuzz::run_reader([&] {
    const torch::Tensor t = xcodec::io::load_npy(input.path());
    torch::Tensor again;
    try {
      again = xcodec::io::parse_npy(xcodec::io::to_npy(t), "round trip");
    } catch (const xcodec::Error& e) {
      die("our writer produced a .npy our reader rejects", e.what());
    }
    const size_t n = static_cast<size_t>(t.numel()) * t.element_size();
    if (again.scalar_type() != t.scalar_type() || again.sizes() != t.sizes() ||
        (n > 0 && std::memcmp(again.data_ptr(), t.data_ptr(), n) != 0)) {
      die("round trip", "to_npy → parse_npy changed the array");
    }
  });
  return 0;
}
