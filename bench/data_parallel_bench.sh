#!/usr/bin/env bash
# Data-parallel throughput of `xcodec train` (model=tiny, CPU): steps/s with 1 process (batch 2)
# and 2 processes (batch 1 each, the same global batch 2), and the share of the step spent
# waiting for gradient all-reduces after backward (the communication backward did not hide).
# Usage: bash bench/data_parallel_bench.sh BUILD_DIR [STEPS]
set -euo pipefail
build=${1:-build}
steps=${2:-60}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XCODEC_CONFIG_DIR="$(cd "$(dirname "$0")/.." && pwd)/configs" OMP_NUM_THREADS=1
python3 - "$tmp/src" <<'PY'
import math, os, struct, sys, wave
os.makedirs(sys.argv[1], exist_ok=True)
for k in range(16):
    with wave.open(f"{sys.argv[1]}/s{k}.wav", "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * (120 + 20 * k) * i / 16000) * (0.5 + 0.5 * math.sin(i / 800)))) for i in range(32000)))
PY
"$build/xcodec" prepare --dataset mini --input-dir "$tmp/src" --output-dir "$tmp/data" --jobs 2 >/dev/null
run() {  # nproc per-device-batch
  local log="$tmp/log$1"
  "$build/xcodec" train data_dir="$tmp/data" 'dataset.names=[mini]' model=tiny log_dir="$log" \
    dataset.min_audio_length=16000 dataset.train.batch_size="$2" dataset.num_workers=1 \
    train.val_every=0 train.checkpoint_every=0 train.trainer.log_every=1 train.stop_on_collapse=false \
    train.trainer.max_steps="$steps" --nproc "$1" > "$tmp/out$1.txt" 2>&1 || { tail -5 "$tmp/out$1.txt"; exit 1; }
  python3 - "$log/metrics.jsonl" "$1" "$2" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
rows = [r for r in rows if "step" in r][5:]  # skip the warm-up steps
rate = rows[-1].get("steps_per_s") or rows[-1].get("rate")
wait = [r.get("dist_wait_ms", 0.0) for r in rows]
print(f"nproc {sys.argv[2]} x batch {sys.argv[3]}: {rate:.2f} steps/s, all-reduce wait after backward "
      f"{sum(wait)/len(wait):.1f} ms/step = {100*sum(wait)/len(wait)/1000*rate:.1f}% of the step (rank 0)")
PY
}
run 1 2
run 2 1
