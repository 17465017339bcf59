#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (packages), builds xcodec and runs the whole test suite.
# Usage: bash scripts/test.sh [extra ctest args, e.g. -L e2e or -R Parity]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build_dir=${XCODEC_BUILD_DIR:-build}
jobs=${XCODEC_JOBS:-$(nproc)}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DXCODEC_BUILD_TESTS=ON -DXCODEC_BUILD_BENCH=ON
cmake --build "$build_dir" -j "$jobs"
cd "$build_dir"
ctest --output-on-failure -j "$jobs" --timeout 600 "$@"
