#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang++-14 and runs each one SECONDS seconds on seed
# corpora written by our own writers (and ffmpeg), then prints executions, coverage and crashes
# per harness (docs/fuzzing.md).
#
#   bash bench/fuzz/run.sh SECONDS [HARNESS...]     # default: every harness
#
# Environment: BUILD_DIR (build-fuzz), OUT_DIR (BUILD_DIR/out), FUZZ_JOBS (harnesses run at
# once, 2), FUZZ_BUILD_JOBS (ninja -j, 2), FUZZ_NICE (19), FUZZ_FORK (1: keep fuzzing after a
# crash, in libFuzzer's fork mode; 0: stop at the first one), CXX (clang++-14).
# Corpora, crash artifacts and logs go under OUT_DIR/<harness>/; nothing is written elsewhere
# except the harnesses' scratch folders, which live under OUT_DIR/tmp.
set -euo pipefail

if [[ $# -lt 1 || ! $1 =~ ^[0-9]+$ ]]; then
  echo "usage: bash bench/fuzz/run.sh SECONDS [HARNESS...]" >&2
  exit 2
fi
seconds=$1
shift
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${BUILD_DIR:-$root/build-fuzz}
out=${OUT_DIR:-$build/out}
jobs=${FUZZ_JOBS:-2}
nice_level=${FUZZ_NICE:-19}
fork=${FUZZ_FORK:-1}
all=(safetensors npy audio_decoder config_compose checkpoint registry)
harnesses=("$@")
[[ ${#harnesses[@]} -gt 0 ]] || harnesses=("${all[@]}")

# Largest input per harness (bytes): well above the biggest seed, so that size-dependent
# failures (a long header, a deep nesting) are within reach.
declare -A max_len=([safetensors]=65536 [npy]=65536 [audio_decoder]=65536 [config_compose]=16384
                    [checkpoint]=32768 [registry]=16384)

# ---- build ---------------------------------------------------------------------------------
cmake -S "$root/bench/fuzz" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="${CXX:-clang++-14}" \
  >/dev/null
if ! nice -n "$nice_level" ninja -C "$build" -j "${FUZZ_BUILD_JOBS:-2}" >"$build/build.log" 2>&1; then
  tail -n 40 "$build/build.log" >&2
  echo "fuzz build failed (log: $build/build.log)" >&2
  exit 1
fi

# ---- seeds ---------------------------------------------------------------------------------
"$build/fuzz_seeds" "$out/seeds" "$root/configs"
if command -v ffmpeg >/dev/null; then
  # More containers and codecs, made from the WAV seed (stereo, other rates).
  wav=$out/seeds/audio_decoder/tone_8k.wav
  for spec in "mp3:-ac 2 -ar 22050" "ogg:-c:a libvorbis -ar 22050" "opus:-c:a libopus -ar 48000" \
              "m4a:-c:a aac -ar 16000" "aiff:-ac 2" "au:" "caf:-ac 2 -c:a pcm_s24le" \
              "wv:" "mka:-c:a pcm_u8" "w64:-c:a pcm_f64le" "ac3:-ar 48000" "amr:-ar 8000 -ac 1"; do
    ext=${spec%%:*}
    ffmpeg -nostdin -loglevel error -y -i "$wav" ${spec#*:} -t 0.05 \
      "$out/seeds/audio_decoder/ffmpeg.$ext" 2>/dev/null || rm -f "$out/seeds/audio_decoder/ffmpeg.$ext"
  done
fi

# ---- fuzz ----------------------------------------------------------------------------------
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export XCODEC_FUZZ_TMPDIR=$out/tmp
export OMP_NUM_THREADS=1
mkdir -p "$XCODEC_FUZZ_TMPDIR"

run_one() {
  local name=$1 dir=$out/$1
  # The corpus grows from run to run; findings of the previous run move to artifacts.prev/.
  rm -rf "$dir/artifacts.prev"
  [[ -d $dir/artifacts ]] && mv "$dir/artifacts" "$dir/artifacts.prev"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  local mode=()
  [[ $fork == 1 ]] && mode=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  # Timeouts > 10 s, RSS > 2 GB and single allocations > 2 GB are bugs (docs/fuzzing.md).
  nice -n "$nice_level" "$build/fuzz_$name" "${mode[@]}" -max_total_time="$seconds" \
    -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -max_len="${max_len[$name]}" \
    -print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
    "$dir/corpus" "$out/seeds/$name" >"$dir/log.txt" 2>&1 || true
}

running=0
for name in "${harnesses[@]}"; do
  [[ -x $build/fuzz_$name ]] || { echo "no harness '$name' (have: ${all[*]})" >&2; exit 2; }
  echo "fuzzing $name for $seconds s (log: $out/$name/log.txt)"
  run_one "$name" &
  running=$((running + 1))
  if [[ $running -ge $jobs ]]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

# ---- report --------------------------------------------------------------------------------
printf '\n%-16s %12s %8s %8s %8s  %s\n' harness executions cov corpus crashes "artifacts (crash/leak/timeout/oom)"
status=0
for name in "${harnesses[@]}"; do
  dir=$out/$name log=$out/$name/log.txt
  # Non-fork mode prints stat::number_of_executed_units; fork mode "#N: cov: ..." lines.
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' ||
          true)
  [[ -n $execs ]] || execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || true)
  corpus=$(find "$dir/corpus" -type f | wc -l)
  count() { find "$dir/artifacts" -name "$1-*" -type f | wc -l; }
  crashes=$(count crash) leaks=$(count leak) timeouts=$(count timeout) ooms=$(count oom)
  total=$((crashes + leaks + timeouts + ooms))
  printf '%-16s %12s %8s %8s %8s  %s\n' "$name" "${execs:-?}" "${cov:-?}" "$corpus" "$total" \
    "$crashes/$leaks/$timeouts/$ooms"
  [[ $total -eq 0 ]] || status=1
done
if [[ $status -ne 0 ]]; then
  echo
  echo "findings (reproduce one with: $build/fuzz_NAME FILE):"
  for name in "${harnesses[@]}"; do
    find "$out/$name/artifacts" -type f | head -n 5 | while read -r file; do
      reason=$(timeout 60 "$build/fuzz_$name" "$file" 2>&1 |
               grep -a -m1 -E 'xcodec-fuzz:|SUMMARY:|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error' |
               cut -c1-200 || true)
      echo "  $file"
      echo "    ${reason:-(does not reproduce alone: timeout/oom, or fixed since)}"
    done
  done
fi
rm -rf "$XCODEC_FUZZ_TMPDIR"
exit $status
