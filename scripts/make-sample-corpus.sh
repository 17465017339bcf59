#!/usr/bin/env bash
# Synthesises a small built-in speech corpus with espeak-ng in several voices, converted with sox
# to a mix of formats, sample rates and channel counts (a stand-in for a real corpus in demos).
#
# Usage: bash scripts/make-sample-corpus.sh DIR [COUNT]
#   DIR    output folder (created; files go to DIR/<voice>/utt_NN.<ext>)
#   COUNT  number of utterances (default 20)
# Needs: espeak-ng, sox (scripts/install-deps.sh installs both).
set -euo pipefail
if [[ $# -lt 1 ]]; then
  echo "usage: $0 DIR [COUNT]" >&2
  exit 2
fi
out=$1
count=${2:-20}
for tool in espeak-ng sox; do
  command -v "$tool" >/dev/null || { echo "$0: $tool not found (run scripts/install-deps.sh)" >&2; exit 1; }
done
mkdir -p "$out"

voices=(en-us en-gb en-gb-scotland en-us+f2 en-gb+f4 en+m3 en-gb-x-rp+f3)
sentences=(
  "The quick brown fox jumps over the lazy dog."
  "A neural codec turns speech into a short sequence of tokens."
  "Please call Stella and ask her to bring these things with her from the store."
  "Six spoons of fresh snow peas, five thick slabs of blue cheese."
  "We also need a small plastic snake and a big toy frog for the kids."
  "She can scoop these things into three red bags."
  "The birch canoe slid on the smooth planks."
  "Glue the sheet to the dark blue background."
  "It is easy to tell the depth of a well."
  "These days a chicken leg is a rare dish."
  "Rice is often served in round bowls."
  "The juice of lemons makes fine punch."
  "The box was thrown beside the parked truck."
  "Four hours of steady work faced us."
  "A large size in stockings is hard to sell."
  "The boy was there when the sun rose."
  "A rod is used to catch pink salmon."
  "The source of the huge river is the clear spring."
  "Kick the ball straight and follow through."
  "Help the woman get back to her feet."
)
# Output variants, cycled: "<ext> <sox output options>".
variants=(
  "wav -r 16000 -c 1 -b 16"
  "flac -r 44100 -c 2 -b 16"
  "wav -r 48000 -c 2 -b 24"
  "wav -r 8000 -c 1 -b 16"
  "ogg -r 22050 -c 1"
  "flac -r 24000 -c 1 -b 16"
)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for ((i = 0; i < count; i++)); do
  voice=${voices[$((i % ${#voices[@]}))]}
  text=${sentences[$((i % ${#sentences[@]}))]}
  read -r ext opts <<<"${variants[$((i % ${#variants[@]}))]}"
  speed=$((150 + (i * 7) % 40))
  dir="$out/${voice//+/_}"
  mkdir -p "$dir"
  name=$(printf 'utt_%02d' "$i")
  espeak-ng -v "$voice" -s "$speed" -w "$tmp/raw.wav" "$text"
  # shellcheck disable=SC2086  # opts holds several sox options on purpose
  sox -q -V1 "$tmp/raw.wav" $opts "$dir/$name.$ext" norm -3
done
echo "$0: wrote $count utterances to $out"
