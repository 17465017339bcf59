#!/usr/bin/env bash
# Our codec beside classic low-bitrate speech codecs on the same files, all scored by
# `xcodec eval --ref --deg` (delay compensated, resampled to the original's rate):
#   codec2 700C and 1200 (c2enc/c2dec, 8 kHz raw 16-bit), Opus at 6 kbit/s (opusenc/opusdec),
#   and an xcodec model (MODEL, or the default model when omitted).
# Prints one table: codec, bitrate, STOI, ESTOI, mel distance, SI-SDR, RTF, where RTF is the wall
# time of encoding + decoding every file (one process per file for codec2/Opus, one folder run
# each for xcodec, model loading included) over the audio's duration.
#
# usage: bash bench/codec_compare.sh DIR [MODEL]
# env:   FILES (first N audio files of DIR in sorted order, default 20; 0 = all),
#        WORK (scratch folder, default a temporary one, removed unless given),
#        XCODEC (default build/xcodec), THREADS (xcodec --threads, default 0 = LibTorch's)
# Optional tools: bash scripts/install-deps.sh --bench (codec2, opus-tools); rows whose tools
# are missing are printed as skipped.
set -euo pipefail
if [ $# -lt 1 ] || [ ! -d "$1" ]; then
  sed -n '2,16p' "$0"
  exit 2
fi
src_dir=$(cd "$(dirname "$0")/.." && pwd)
in_dir=$(cd "$1" && pwd)
model=${2:-}
xcodec=${XCODEC:-$src_dir/build/xcodec}
files=${FILES:-20}
threads=${THREADS:-0}
if [ -n "${WORK:-}" ]; then
  work=$WORK
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$1" "$2"; }

# ---- The originals: 16-bit mono WAV at their own rate, same relative paths ---------------------
ref="$work/ref"
rm -rf "$ref"
mkdir -p "$ref"
mapfile -t rels < <(cd "$in_dir" && find . -type f \( -iname '*.wav' -o -iname '*.flac' \
  -o -iname '*.g722' -o -iname '*.ogg' -o -iname '*.mp3' -o -iname '*.opus' \) | sed 's|^\./||' |
  LC_ALL=C sort)
[ "$files" -gt 0 ] && rels=("${rels[@]:0:$files}")
[ ${#rels[@]} -gt 0 ] || { echo "no audio files under $in_dir" >&2; exit 1; }
for r in "${rels[@]}"; do
  mkdir -p "$ref/$(dirname "$r")"
  ffmpeg -nostdin -loglevel error -y -i "$in_dir/$r" -ac 1 -c:a pcm_s16le -map_metadata -1 -fflags +bitexact "$ref/${r%.*}.wav"
done
audio_s=$(python3 - "$ref" <<'EOF'
import os, sys, wave
total = 0.0
for root, _, names in os.walk(sys.argv[1]):
    for n in names:
        with wave.open(os.path.join(root, n)) as w:
            total += w.getnframes() / w.getframerate()
print(total)
EOF
)
echo "== ${#rels[@]} files, $audio_s s of audio from $in_dir (work: $work)"

rows="$work/rows.tsv"
: >"$rows"
score() {  # score NAME BITRATE DEG_DIR SECONDS
  local report="$work/report-$1.json"
  "$xcodec" eval --ref "$ref" --deg "$3" -o "$report" --table-rows 0 >"$work/eval-$1.txt" 2>&1 ||
    { cat "$work/eval-$1.txt" >&2; return 1; }
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$report" "$(python3 -c "import sys; print(float(sys.argv[1]) / float(sys.argv[2]))" "$4" "$audio_s")" >>"$rows"
}
skip() { printf '%s\t%s\tskipped: %s\t\n' "$1" "$2" "$3" >>"$rows"; }

# ---- codec2 (8 kHz) ---------------------------------------------------------------------------
for mode in 700C 1200; do
  name="codec2-$mode"
  if ! command -v c2enc >/dev/null || ! command -v sox >/dev/null; then
    skip "$name" "${mode%C}" "c2enc/sox not installed (bash scripts/install-deps.sh --bench)"
    continue
  fi
  out="$work/$name"
  rm -rf "$out"
  t0=$(now)
  for r in "${rels[@]}"; do
    base="${r%.*}"
    mkdir -p "$out/$(dirname "$r")"
    sox "$ref/$base.wav" -r 8000 -b 16 -e signed-integer -t raw "$out/$base.raw"
    c2enc "$mode" "$out/$base.raw" "$out/$base.bit"
    c2dec "$mode" "$out/$base.bit" "$out/$base.dec.raw"
    sox -r 8000 -b 16 -e signed-integer -c 1 -t raw "$out/$base.dec.raw" "$out/$base.wav"
    rm -f "$out/$base.raw" "$out/$base.dec.raw"
  done
  score "$name" "${mode%C}" "$out" "$(elapsed "$t0" "$(now)")"
done

# ---- Opus at 6 kbit/s -------------------------------------------------------------------------
if command -v opusenc >/dev/null && command -v opusdec >/dev/null; then
  out="$work/opus-6k"
  rm -rf "$out"
  t0=$(now)
  for r in "${rels[@]}"; do
    base="${r%.*}"
    mkdir -p "$out/$(dirname "$r")"
    opusenc --quiet --bitrate 6 "$ref/$base.wav" "$out/$base.opus"
    opusdec --quiet --rate 16000 "$out/$base.opus" "$out/$base.wav"
    rm -f "$out/$base.opus"
  done
  score opus-6k 6000 "$out" "$(elapsed "$t0" "$(now)")"
else
  skip opus-6k 6000 "opusenc/opusdec not installed (bash scripts/install-deps.sh --bench)"
fi

# ---- xcodec -----------------------------------------------------------------------------------
model_args=()
[ -n "$model" ] && model_args=(-m "$model")
out="$work/xcodec"
rm -rf "$out" "$work/codes"
t0=$(now)
if "$xcodec" encode "$ref" -o "$work/codes" "${model_args[@]}" --threads "$threads" \
     --progress none >"$work/xcodec-encode.log" 2>&1 &&
   "$xcodec" decode "$work/codes" -o "$out" "${model_args[@]}" --threads "$threads" \
     --progress none >"$work/xcodec-decode.log" 2>&1; then
  t1=$(now)
  line=$(grep -m1 '\[model\]' "$work/xcodec-encode.log" | sed 's/.*\[model\] //')
  bps=$(sed -n 's/.* \([0-9]*\) bit\/s.*/\1/p' <<<"$line")
  echo "== xcodec model: $line"
  score "xcodec:$(basename "${model:-default}" .safetensors)" "$bps" "$out" "$(elapsed "$t0" "$t1")"
else
  skip xcodec "" "$(tail -n 1 "$work/xcodec-encode.log" "$work/xcodec-decode.log" 2>/dev/null | grep -v '^==' | tr '\n' ' ')"
fi

# ---- The table --------------------------------------------------------------------------------
python3 - "$rows" <<'EOF'
import json, sys
print(f"{'codec':<28} {'bit/s':>6} {'STOI':>7} {'ESTOI':>7} {'mel_dist':>8} {'SI-SDR':>7} {'RTF':>7}")
for line in open(sys.argv[1]):
    name, bps, report, rtf = line.rstrip("\n").split("\t")
    if report.startswith("skipped"):
        print(f"{name:<28} {bps:>6} {report}")
        continue
    m = json.load(open(report))["mean"]
    f = lambda v, p: "-" if v is None else f"{v:.{p}f}"
    print(f"{name:<28} {bps:>6} {f(m['stoi'], 4):>7} {f(m['estoi'], 4):>7} "
          f"{f(m['mel_distance'], 3):>8} {f(m['si_sdr_db'], 2):>7} {float(rtf):>7.4f}")
EOF
