#!/usr/bin/env bash
# Compile-and-link proof against a CUDA LibTorch 2.x on a machine without a GPU: builds the
# whole project (library, CLI, tests, benchmarks, examples) against Debian trixie's
# libtorch-cuda-dev 2.6 (contrib, built for CUDA 12), fetched from deb.debian.org into a cache
# folder. It needs a CUDA toolkit for LibTorch's CMake config (CUDA_HOME, default
# /usr/local/cuda). Those libraries need a newer glibc than bookworm's, so executables link with
# --allow-shlib-undefined: every symbol our code uses must still resolve in LibTorch's
# libraries, but what those need from glibc is not checked, and nothing is run (test
# discovery is left to ctest time).
# Takes ~30 min on two cores.
#   bash scripts/check-libtorch2-cuda-build.sh [BUILD_DIR] [CACHE_DIR]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build-libtorch2-cuda}
cache=${2:-${XDG_CACHE_HOME:-$HOME/.cache}/xcodec-libtorch2-cuda}
cuda=${CUDA_HOME:-/usr/local/cuda}
pool=http://deb.debian.org/debian/pool/contrib/p/pytorch-cuda
version=2.6.0+dfsg-7+b1
if [[ ! -f $cuda/include/cuda_runtime_api.h ]]; then
  echo "check-libtorch2-cuda: no CUDA toolkit at $cuda (set CUDA_HOME)" >&2
  exit 1
fi
version_h=$cache/root/usr/include/torch/csrc/api/include/torch/version.h
if [[ ! -f $version_h ]]; then
  mkdir -p "$cache"
  for pkg in libtorch-cuda-2.6 libtorch-cuda-dev; do
    echo "check-libtorch2-cuda: fetching $pkg $version"
    curl -fsSL --retry 3 -o "$cache/$pkg.deb" "$pool/${pkg}_${version}_amd64.deb"
    dpkg-deb -x "$cache/$pkg.deb" "$cache/root"
  done
fi
generator=()
command -v ninja > /dev/null && generator=(-G Ninja)
cmake -S "$src" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$cache/root/usr" -DCUDAToolkit_ROOT="$cuda" \
  -DCMAKE_PROJECT_xcodec_INCLUDE="$src/scripts/libtorch2-cuda-shim.cmake" \
  -DCMAKE_EXE_LINKER_FLAGS=-Wl,--allow-shlib-undefined -DXCODEC_CCACHE=OFF \
  -DCMAKE_GTEST_DISCOVER_TESTS_DISCOVERY_MODE=PRE_TEST \
  -DXCODEC_BUILD_TESTS=ON -DXCODEC_BUILD_BENCH=ON -DXCODEC_BUILD_EXAMPLES=ON > "$build.configure.log" 2>&1 ||
  { tail -30 "$build.configure.log" >&2; exit 1; }
if ! grep -q "^C10_CUDA_LIBRARY:FILEPATH=$cache/root/" "$build/CMakeCache.txt"; then
  echo "check-libtorch2-cuda: the configured LibTorch is not the CUDA one from $cache" >&2
  exit 1
fi
cmake --build "$build" -j"$(nproc)"
exe="$build/xcodec-main"  # the program itself (`xcodec` is its launcher without LibTorch)
echo "check-libtorch2-cuda: $(find "$build" -name '*.o' | wc -l) objects compiled; $exe links:"
readelf -d "$exe" | grep -E 'NEEDED.*(torch|c10)' | sed 's/.*Shared library: /  /'
torch_version=$(awk '/define TORCH_VERSION_(MAJOR|MINOR|PATCH)/ {v = v (v == "" ? "" : ".") $3} END {print v}' "$version_h")
echo "check-libtorch2-cuda: OK against LibTorch $torch_version with CUDA"
