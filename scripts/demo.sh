#!/usr/bin/env bash
# The main job on a built-in default: sets up, builds and runs xcodec on a sample corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build_dir=${XCODEC_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DXCODEC_BUILD_TESTS=OFF -DXCODEC_BUILD_BENCH=OFF
cmake --build "$build_dir" -j "$(nproc)"
"$build_dir/xcodec" --version
