#!/usr/bin/env bash
# Encode/decode real-time factors of the full default X-Codec-2.0 config (10 s of audio), for
# one core and for all cores, fp32 and bf16. LibTorch's thread setting does not bind OpenBLAS
# (and not every oneDNN kernel of Debian's build), so the one-core rows run under `taskset`.
#   bash bench/codec_rtf.sh [BUILD_DIR] [extra codec_bench args]
set -euo pipefail
build=${1:-build}
shift || true
bench="$build/bench/codec_bench"
[[ -x $bench ]] || { echo "codec_rtf: $bench not built (configure with -DXCODEC_BUILD_BENCH=ON)" >&2; exit 1; }
echo "# one core (taskset -c 0)"
taskset -c 0 "$bench" --benchmark_filter='^BM_[A-Za-z]+/1/1/' "$@" | grep -E '^BM_'
echo "# $(nproc) cores"
"$bench" --benchmark_filter='^BM_[A-Za-z]+/2/1/' "$@" | grep -E '^BM_'
