#!/usr/bin/env bash
# What users run, timed as whole processes: `xcodec encode`, `decode` and `reconstruct` of one
# file of 10 s and one of 60 s (speech-like synthetic audio), median of REPS runs (default 3) of
# wall time, real-time factor and peak resident memory (GNU time's maximum RSS). Each wall time
# is split into process start + model load and the command's own work loop (audio in, model,
# file out: the "N s of audio in X s" the command prints). With MODEL_BENCH=1 (for the full
# default X-Codec-2.0 configuration, which codec_bench builds with random weights) the
# model-level RTFs of build/bench/codec_bench follow with the same thread count, so the loop can
# be compared with the model alone.
#   [REPS=3] [THREADS=N] [MODEL_BENCH=1] bash bench/command_bench.sh MODEL [BUILD_DIR]
# MODEL: an exported .safetensors (e.g. the full X-Codec-2.0 config, or models/dwan-cpu).
set -euo pipefail
model=${1:?usage: bench/command_bench.sh MODEL [BUILD_DIR]}
build=${2:-build}
xc="$build/xcodec"
[[ -x $xc ]] || { echo "command_bench: $xc not built" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "command_bench: needs GNU time (apt-get install time)" >&2; exit 1; }
reps=${REPS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for s in 10 60; do
  python3 - "$work/speech$s.wav" "$s" <<'PY'
import math, random, struct, sys, wave
path, secs = sys.argv[1], int(sys.argv[2])
sr = 16000
random.seed(secs)
w = wave.open(path, "wb"); w.setnchannels(1); w.setsampwidth(2); w.setframerate(sr)
frames = bytearray()
phase = 0.0
for i in range(sr * secs):
    t = i / sr
    phase += 2 * math.pi * (120 + 30 * math.sin(2 * math.pi * 3 * t)) / sr
    v = sum(math.sin(h * phase) / h for h in range(1, 6))
    v *= 0.6 + 0.4 * math.sin(2 * math.pi * 2 * t)
    frames += struct.pack("<h", int(4000 * v + random.randint(-200, 200)))
w.writeframes(bytes(frames)); w.close()
PY
done
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
threads=${THREADS:-0}
thread_args=()
[[ $threads -gt 0 ]] && thread_args=(--threads "$threads")
printf "%-12s %5s %9s %8s %10s %10s %9s %9s\n" command secs wall_s RTF peak_MB start+load loop_s loop_RTF
for s in 10 60; do
  "$xc" encode "$work/speech$s.wav" -o "$work/codes$s.npy" -m "$model" 2>/dev/null >/dev/null
  for cmd in encode decode reconstruct; do
    case $cmd in
      encode) in="$work/speech$s.wav"; out="$work/c$s.npy" ;;
      decode) in="$work/codes$s.npy"; out="$work/d$s.wav" ;;
      reconstruct) in="$work/speech$s.wav"; out="$work/r$s.wav" ;;
    esac
    walls=(); rss=(); loops=()
    for ((r = 0; r < reps; r++)); do
      /usr/bin/time -o "$work/time" -f "%e %M" "$xc" --log-level warn "$cmd" "$in" -o "$out" \
        -m "$model" "${thread_args[@]}" >"$work/stdout" 2>/dev/null
      line=$(tail -1 "$work/time")
      walls+=("${line% *}"); rss+=("${line#* }")
      # "<cmd>: 1 written, ...; 10 s of audio in 2.28 s": the loop's own wall time
      loops+=("$(sed -n 's/.* s of audio in \([0-9.e+-]*\) s$/\1/p' "$work/stdout" | tail -1)")
    done
    w=$(printf "%s\n" "${walls[@]}" | median)
    m=$(printf "%s\n" "${rss[@]}" | median)
    l=$(printf "%s\n" "${loops[@]}" | median)
    printf "%-12s %5s %9.2f %8.3f %10.0f %10.2f %9.2f %9.3f\n" "$cmd" "$s" "$w" \
      "$(echo "$w / $s" | bc -l)" "$(echo "$m / 1024" | bc -l)" "$(echo "$w - $l" | bc -l)" "$l" \
      "$(echo "$l / $s" | bc -l)"
  done
done
if [[ ${MODEL_BENCH:-0} == 1 ]]; then
  bench="$build/bench/codec_bench"
  [[ -x $bench ]] || { echo "command_bench: $bench not built" >&2; exit 1; }
  t=$threads
  [[ $t -gt 0 ]] || t=$(nproc)
  [[ $t -gt 2 ]] && t=2  # codec_bench measures 1 and 2 threads
  echo "# model level (codec_bench: full X-Codec-2.0 config, random weights, 10 s, warm, $t threads):"
  "$bench" --benchmark_filter="BM_(AcousticEncode|Decode)/$t/1/0" 2>/dev/null |
    awk '/^BM_/ {for (i = 1; i <= NF; i++) if ($i ~ /^RTF=/) print "#   " $1, $i}'
fi
echo "# $(lscpu | sed -n 's/^Model name:\s*//p'), $(nproc) cores, threads ${threads} (0 = default); model $model"
