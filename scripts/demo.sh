#!/usr/bin/env bash
# The main job on a built-in default: sets up, builds and runs xcodec on a sample corpus.
#   1. installs the Debian packages and builds xcodec (Release)
#   2. synthesises a small speech corpus with espeak-ng (scripts/make-sample-corpus.sh)
#   3. `xcodec prepare` turns it into a registered dataset under $XCODEC_DEMO_DATA
#      (default ./demo-data) and prints the registry and a summary
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build_dir=${XCODEC_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DXCODEC_BUILD_TESTS=OFF -DXCODEC_BUILD_BENCH=OFF
cmake --build "$build_dir" -j "$(nproc)"
xcodec="$build_dir/xcodec"
"$xcodec" --version

# ---- Data: a built-in sample corpus -> DATA/processed/sample + DATA/datasets.json ----------------
data_dir=${XCODEC_DEMO_DATA:-./demo-data}
corpus_dir=$(mktemp -d)
trap 'rm -rf "$corpus_dir"' EXIT
bash scripts/make-sample-corpus.sh "$corpus_dir/sample" "${XCODEC_DEMO_UTTERANCES:-20}"
"$xcodec" prepare --dataset sample --input-dir "$corpus_dir/sample" --output-dir "$data_dir" \
  --val-fraction 0.1 --test-fraction 0.2  # a tiny corpus: larger held-out shares
echo
echo "== $data_dir/datasets.json"
cat "$data_dir/datasets.json"
echo
echo "== split lists (lines = utterances)"
wc -l "$data_dir"/processed/sample/{train,val,test}.tsv
echo
echo "== a few processed files"
find "$data_dir/processed/sample/audio" -type f | sort | head -n 3 | while IFS= read -r f; do
  "$xcodec" info "$f"
done
