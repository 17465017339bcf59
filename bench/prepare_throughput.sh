#!/usr/bin/env bash
# Throughput of `xcodec prepare` in hours of audio per minute, side by side with sox converting
# the same files (xargs -P over the same number of workers) to the same target (16 kHz mono
# 16-bit WAV). The corpus is synthetic: 44.1 kHz stereo WAV and FLAC files of noise + tones.
#
# Usage: bash bench/prepare_throughput.sh [BUILD_DIR]
#   env FILES (default 40), SECONDS_PER_FILE (default 30), JOBS (default 2), KEEP=1 keeps the tmp dir
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
xcodec="$build_dir/xcodec"
files=${FILES:-40}
secs=${SECONDS_PER_FILE:-30}
jobs=${JOBS:-2}
[[ -x "$xcodec" ]] || { echo "$0: $xcodec not built" >&2; exit 1; }
tmp=$(mktemp -d)
[[ "${KEEP:-0}" == 1 ]] || trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/in"
for ((i = 0; i < files; i++)); do
  ext=$([[ $((i % 2)) == 0 ]] && echo wav || echo flac)
  sox -q -V1 -n -r 44100 -c 2 -b 16 "$tmp/in/f$i.$ext" \
    synth "$secs" pinknoise synth "$secs" sine mix $((200 + i * 10)) vol 0.3
done
hours=$(awk -v n="$files" -v s="$secs" 'BEGIN { printf "%.4f", n * s / 3600 }')
echo "corpus: $files files x $secs s of 44.1 kHz stereo (wav+flac) = $hours h; $jobs workers; $(nproc) cores"

now() { date +%s.%N; }
t0=$(now)
"$xcodec" --log-level warn prepare --dataset bench --input-dir "$tmp/in" --output-dir "$tmp/data" \
  --jobs "$jobs" --progress none
t1=$(now)
mkdir -p "$tmp/sox"
find "$tmp/in" -type f -print0 |
  xargs -0 -P "$jobs" -I{} sh -c 'sox -q -V1 "$1" -r 16000 -c 1 -b 16 "$2/$(basename "$1").wav"' _ {} "$tmp/sox"
t2=$(now)
awk -v h="$hours" -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {
  px = b - a; sx = c - b;
  printf "xcodec prepare: %6.2f s  -> %7.1f h audio/min\n", px, h * 60 / px;
  printf "sox (xargs -P): %6.2f s  -> %7.1f h audio/min\n", sx, h * 60 / sx;
}'
