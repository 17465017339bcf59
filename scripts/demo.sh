#!/usr/bin/env bash
# The main job on a built-in default, end to end in a few minutes on a CPU:
#   1. installs the Debian packages and builds xcodec (Release)
#   2. synthesises a small speech corpus with espeak-ng (scripts/make-sample-corpus.sh)
#   3. `xcodec prepare`: a registered dataset under $XCODEC_DEMO_DATA (default ./demo-data)
#   4. `xcodec train`: a short run of the tiny model (seeded random teacher) into demo-data/logs
#   5. `xcodec export`, then `xcodec encode` / `decode` the test split
#   6. `xcodec eval`: a quality report (demo-data/report.json) with spectrogram PNGs
# Steps (env): XCODEC_DEMO_STEPS (default 60), XCODEC_DEMO_UTTERANCES (default 20).
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

# ---- Train the tiny model for a few steps (resumes if run again) ------------------------------------
steps=${XCODEC_DEMO_STEPS:-60}
logs="$data_dir/logs/tiny"
echo
echo "== training the tiny model for $steps steps (log: $logs)"
"$xcodec" train data_dir="$data_dir" dataset.names='[sample]' model=tiny log_dir="$logs" \
  train.trainer.max_steps="$steps" train.val_every="$steps" train.checkpoint_every="$steps" \
  dataset.train.batch_size=4 train.trainer.log_every=10

# ---- Export, encode / decode, evaluate -------------------------------------------------------------
model="$data_dir/tiny.safetensors"
"$xcodec" export "$logs/last.ckpt" -o "$model"
test_audio="$data_dir/processed/sample/audio"
echo
echo "== encode / decode the processed corpus"
"$xcodec" encode "$test_audio" -o "$data_dir/codes" -m "$model" --progress lines
"$xcodec" decode "$data_dir/codes" -o "$data_dir/decoded" -m "$model" --progress lines
first=$(find "$data_dir/codes" -name '*.npy' | sort | head -n 1)
python3 -c "import sys, struct; d=open(sys.argv[1],'rb').read(); n=d[8]|d[9]<<8; print('codes', sys.argv[1], d[10:10+n].decode().strip())" "$first"
echo
echo "== evaluation on the test split"
"$xcodec" eval -m "$model" --dataset sample:test --data-dir "$data_dir" -o "$data_dir/report.json"
echo
echo "report: $data_dir/report.json; spectrograms: $data_dir/report_spectrograms/; TensorBoard logs: $logs"
