#!/usr/bin/env bash
# Encode/decode real-time factors of the full default X-Codec-2.0 config (10 s of audio), for
# one core and for all cores, fp32 and bf16. LibTorch's thread setting does not bind OpenBLAS
# (and not every oneDNN kernel of Debian's build), so the one-core rows run under `taskset`.
# Each row is the median of REPS repetitions (default 3) of two timed runs: on a shared
# machine single runs vary by 10-20 %.
#   [REPS=3] bash bench/codec_rtf.sh [BUILD_DIR] [extra codec_bench args]
set -euo pipefail
build=${1:-build}
shift || true
bench="$build/bench/codec_bench"
[[ -x $bench ]] || { echo "codec_rtf: $bench not built (configure with -DXCODEC_BUILD_BENCH=ON)" >&2; exit 1; }
reps=(--benchmark_repetitions="${REPS:-3}" --benchmark_report_aggregates_only=true)
echo "# one core (taskset -c 0), median of ${REPS:-3}"
taskset -c 0 "$bench" --benchmark_filter='^BM_[A-Za-z]+/1/1/' "${reps[@]}" "$@" | grep -E '^BM_.*_median'
echo "# $(nproc) cores, median of ${REPS:-3}"
"$bench" --benchmark_filter='^BM_[A-Za-z]+/2/1/' "${reps[@]}" "$@" | grep -E '^BM_.*_median'
