#!/usr/bin/env bash
# The main job on a built-in default, end to end in a few minutes on a CPU:
#   1. installs the Debian packages and builds xcodec (Release)
#   2. synthesises a small speech corpus with espeak-ng (scripts/make-sample-corpus.sh)
#   3. `xcodec prepare`: a registered dataset under $XCODEC_DEMO_DATA (default ./demo-data)
#   4. `xcodec train`: a short run of the tiny model (seeded random teacher) into demo-data/logs
#   5. `xcodec export`, then `xcodec encode` / `decode` the test split
#   6. `xcodec eval`: a quality report (demo-data/report.json) with spectrogram PNGs
#   7. (optional) when models/dwan-cpu.safetensors exists and codec2/opus-tools install: the
#      default model reconstructs real held-out speech and is scored beside codec2 and Opus
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

# ---- Optional: the shipped default model on real speech, beside classic codecs ----------------------
# Runs when models/dwan-cpu.safetensors exists (bash scripts/train-default-model.sh makes it)
# and codec2 + opus-tools can be installed; otherwise says why and stops here.
real_speech_stage() {
  local model=models/dwan-cpu.safetensors
  if [ ! -f "$model" ]; then
    echo "(no $model: skipping the real-speech comparison; bash scripts/train-default-model.sh makes it)"
    return 0
  fi
  if ! bash scripts/install-deps.sh --bench; then
    echo "(codec2/opus-tools not installable: skipping the real-speech comparison)"
    return 0
  fi
  # Real speech the model never trained on: the French prompts of Asterisk (CC-BY-SA-3.0,
  # June Wallack), the default model's held-out speaker.
  local real="$data_dir/real-speech"
  mkdir -p "$real/debs"
  if ! compgen -G "$real/debs/asterisk-core-sounds-fr-g722_*.deb" >/dev/null &&
     ! (cd "$real/debs" && apt-get download asterisk-core-sounds-fr-g722); then
    echo "(apt-get download asterisk-core-sounds-fr-g722 failed: skipping the real-speech comparison)"
    return 0
  fi
  rm -rf "$real/x" "$real/fr"
  dpkg-deb -x "$real"/debs/asterisk-core-sounds-fr-g722_*.deb "$real/x"
  mkdir -p "$real/fr"
  find "$real/x/usr/share/asterisk/sounds/fr_CA_f_June" -maxdepth 1 -name '*.g722' -size +20k |
    LC_ALL=C sort | head -n "${XCODEC_DEMO_REAL_FILES:-10}" | xargs -I{} cp {} "$real/fr/"
  local first
  first=$(find "$real/fr" -name '*.g722' | LC_ALL=C sort | head -n 1)
  echo
  echo "== the default model (no -m) reconstructs real speech: $first"
  "$xcodec" reconstruct "$first" -o "$real/$(basename "${first%.*}").xcodec.wav"
  echo
  echo "== the default model beside codec2 and Opus on $(find "$real/fr" -type f | wc -l) held-out files"
  XCODEC="$xcodec" FILES=0 bash bench/codec_compare.sh "$real/fr"
}
real_speech_stage
