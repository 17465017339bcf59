#!/usr/bin/env bash
# Training throughput of the small config (xcodec2-small, seeded random teacher) on a synthetic
# corpus: steps/s, samples/s and the share of step time spent waiting for data, read from the
# trainer's own metrics.jsonl.
#   bash bench/train_throughput.sh [BUILD_DIR] [STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
steps=${2:-12}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
for i in $(seq 1 16); do
  sox -n -r 16000 -c 1 "$work/src/utt$i.wav" synth 7 sine $((100 + 20 * i)) vol 0.3 2>/dev/null
done
"$build/xcodec" prepare --dataset bench --input-dir "$work/src" --output-dir "$work/data" \
  --val-fraction 0 --test-fraction 0 --progress none > /dev/null
batch=${BATCH:-8}
XCODEC_CONFIG_DIR=configs "$build/xcodec" train data_dir="$work/data" dataset.names='[bench]' \
  model=xcodec2-small model.semantic.teacher=random log_dir="$work/log" \
  train.trainer.max_steps="$steps" train.trainer.log_every=1 train.val_every=0 \
  dataset.train.batch_size="$batch" train.trainer.accelerator=cpu > /dev/null
python3 - "$work/log/metrics.jsonl" "$batch" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"steps_per_s"' in l]
last = rows[-1]
batch = int(sys.argv[2])
print(f"small config, batch {batch} x 6 s crops: {last['steps_per_s']:.3f} steps/s, "
      f"{last['steps_per_s'] * batch:.2f} samples/s, data wait {100 * last['data_wait_share']:.1f}% "
      f"(over {last['step']} steps)")
PY
