#!/usr/bin/env bash
# Makes the shipped default model, models/dwan-cpu.safetensors, from real speech in Debian
# packages, on a CPU (about 45-60 min of training on 2 cores; see models/README.md):
#   fetch    apt-get download asterisk-core-sounds-{en,es,fr,it,ru}-g722 festvox-ru (no root needed)
#   arrange  dpkg-deb -x; English + Spanish (Allison Smith), Italian (Carlo Flora), Russian (the
#            asterisk ru_RU voice by Maxim Topal's ivrvoice.ru, and festvox msu_ru_nsh) for
#            training, the French speaker (June Wallack) held out whole as the test set
#   prepare  xcodec prepare (G.722 and WAV -> 16 kHz mono WAV, train/val/test lists)
#   train    xcodec train model=dwan-cpu (re-running resumes from WORK/logs/dwan-cpu)
#   anneal   a second run from the first's weights (init_from) with the learning rate falling
#            from 2e-4 to 1e-5 over 7000 steps (WORK/logs/dwan-cpu-anneal; re-running resumes)
#   export   xcodec export with a model card in the metadata (xcodec.model_card)
#   eval     xcodec eval on the held-out test split; prints its scores
#
# usage: bash scripts/train-default-model.sh [WORK_DIR] [--until STAGE] [--from STAGE]
#                                             [--steps N] [--output MODEL]
#   WORK_DIR  default ./default-model-work (debs, corpus, prepared data, logs, reports)
#   --until   last stage to run (fetch, arrange, prepare, train, export, eval; default eval)
#   --from    first stage to run (default fetch; stages already done are quick to repeat)
#   --steps   steps of the first phase (default 21773, where the shipped model's first run was
#             stopped at the time it was given; the anneal phase adds 7500)
#   --output  model path (default models/dwan-cpu.safetensors)
# Environment: XCODEC (the program, default build/xcodec; built when missing).
set -euo pipefail
start_s=$(date +%s)
src_dir=$(cd "$(dirname "$0")/.." && pwd)

stages=(fetch arrange prepare train anneal export eval)
work=./default-model-work
until_stage=eval
from_stage=fetch
steps=21773
output="$src_dir/models/dwan-cpu.safetensors"
while [ $# -gt 0 ]; do
  case "$1" in
    --until) until_stage=$2; shift 2 ;;
    --from) from_stage=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --output) output=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    -*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    *) work=$1; shift ;;
  esac
done
stage_index() {
  local i
  for i in "${!stages[@]}"; do [ "${stages[$i]}" = "$1" ] && { echo "$i"; return; }; done
  echo "unknown stage '$1' (one of: ${stages[*]})" >&2
  exit 2
}
from_i=$(stage_index "$from_stage")
until_i=$(stage_index "$until_stage")
want() { local i; i=$(stage_index "$1"); [ "$i" -ge "$from_i" ] && [ "$i" -le "$until_i" ]; }

mkdir -p "$work"
work=$(cd "$work" && pwd)
debs="$work/debs"
corpus="$work/corpus"
data="$work/data"
logs="$work/logs/dwan-cpu"
anneal_logs="$work/logs/dwan-cpu-anneal"
timings="$work/timings.tsv"  # stage, seconds, date: accumulates over re-runs (resumed training)
packages=(asterisk-core-sounds-en-g722 asterisk-core-sounds-es-g722 asterisk-core-sounds-fr-g722
          asterisk-core-sounds-it-g722 asterisk-core-sounds-ru-g722 festvox-ru)

xcodec=${XCODEC:-$src_dir/build/xcodec}
if [ ! -x "$xcodec" ]; then
  echo "== building xcodec"
  cmake -S "$src_dir" -B "$src_dir/build" -G Ninja -DCMAKE_BUILD_TYPE=Release
  cmake --build "$src_dir/build" --target xcodec_launcher
fi

timed() {  # timed STAGE COMMAND...: runs it and appends its wall time to $timings
  local t0 t1
  t0=$(date +%s)
  "${@:2}"
  t1=$(date +%s)
  printf '%s\t%s\t%s\n' "$1" "$((t1 - t0))" "$(date -u +%FT%TZ)" >>"$timings"
}

fetch() {
  mkdir -p "$debs"
  local missing=()
  for p in "${packages[@]}"; do compgen -G "$debs/${p}_*.deb" >/dev/null || missing+=("$p"); done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "[fetch] all ${#packages[@]} packages already in $debs"
    return
  fi
  echo "[fetch] apt-get download ${missing[*]}"
  if ! (cd "$debs" && apt-get download "${missing[@]}"); then
    echo "[fetch] apt-get download failed: the package lists may be missing or stale;" \
      "run 'sudo apt-get update' and retry" >&2
    exit 1
  fi
}

arrange() {
  local root="$work/extracted"
  rm -rf "$root" "$corpus"
  mkdir -p "$root" "$corpus/test"
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$root"; done
  local snd="$root/usr/share/asterisk/sounds"
  cp -r "$snd/en_US_f_Allison" "$corpus/asterisk-en"
  cp -r "$snd/es_MX_f_Allison" "$corpus/asterisk-es"
  cp -r "$snd/it_IT_m_Carlo" "$corpus/asterisk-it"
  cp -r "$snd/ru_RU_f_IvrvoiceRU" "$corpus/asterisk-ru"
  cp -r "$root/usr/share/festival/voices/russian/msu_ru_nsh_clunits/wav" "$corpus/festvox-ru"
  # A folder named test/ goes to the test split whole: the French speaker is never trained on.
  cp -r "$snd/fr_CA_f_June" "$corpus/test/asterisk-fr"
  mkdir -p "$work/licences"
  for p in "${packages[@]}"; do
    cp "$root/usr/share/doc/$p/copyright" "$work/licences/$p.copyright"
  done
  for d in asterisk-en asterisk-es asterisk-it asterisk-ru festvox-ru test/asterisk-fr; do
    echo "[arrange] $d: $(find "$corpus/$d" -type f | wc -l) files"
  done
  # The G.722 files are raw ADPCM: FFmpeg recognises them by content.
  "$xcodec" info "$(find "$corpus/test/asterisk-fr" -name '*.g722' | sort | head -n 1)"
}

prepare() {
  # The same fractions as the shipped model: 3 % val, 2 % test of the training speakers (the
  # French speaker's folder is test whole); clips under 0.1 s dropped.
  "$xcodec" prepare --dataset realspeech --input-dir "$corpus" --output-dir "$data" \
    --val-fraction 0.03 --test-fraction 0.02 --min-seconds 0.1 --progress lines
  wc -l "$data"/processed/realspeech/{train,val,test}.tsv
}

train_cmd=("$xcodec" train --config-dir "$src_dir/configs" data_dir="$data"
           "dataset.names=[realspeech]" model=dwan-cpu log_dir="$logs"
           train.trainer.max_steps="$steps" train.trainer.accelerator=cpu)
train() {
  echo "[train] ${train_cmd[*]}"
  "${train_cmd[@]}"
}

anneal_cmd=("$xcodec" train --config-dir "$src_dir/configs" data_dir="$data"
            "dataset.names=[realspeech]" model=dwan-cpu log_dir="$anneal_logs"
            init_from="$logs/last.ckpt" train.trainer.max_steps=7500
            train.trainer.accelerator=cpu train.gen_scheduler.max_lr=2.0e-4
            train.gen_scheduler.min_lr=1.0e-5 train.gen_scheduler.init_lr=1.0e-5
            train.gen_scheduler.down_step=7000)
anneal() {
  echo "[anneal] ${anneal_cmd[*]}"
  "${anneal_cmd[@]}"
}

export_and_eval() {
  local stage=$1
  local plain="$work/dwan-cpu.nocard.safetensors"
  local report="$work/test-report.json"
  "$xcodec" export "$anneal_logs/last.ckpt" -o "$plain"
  if [ "$stage" = eval ] || [ ! -f "$report" ]; then
    "$xcodec" eval -m "$plain" --dataset realspeech:test --data-dir "$data" -o "$report"
  fi
  python3 - "$work" "$logs" "$anneal_logs" "$report" "$timings" \
    "${train_cmd[*]} && ${anneal_cmd[*]}" >"$work/model_card.json" <<'EOF'
import json, sys
work, logs, anneal_logs, report_path, timings, command = sys.argv[1:]
report = json.load(open(report_path))
def last_step(log_dir):  # the step stored in the checkpoint's metadata
    import struct
    with open(f"{log_dir}/last.ckpt", "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return int(json.loads(f.read(n))["__metadata__"]["step"])
step = last_step(logs) + last_step(anneal_logs)
train_s = sum(int(l.split("\t")[1]) for l in open(timings)
              if l.startswith("train\t") or l.startswith("anneal\t"))
asterisk = "https://www.asterisk.org/ (Debian asterisk-core-sounds-*-g722 1.6.1)"
card = {
    "name": "dwan-cpu",
    "description": "DwanCodec architecture (ConvNeXt encoder, FSQ, Vocos/ISTFT decoder), 3.4 M "
                   "parameters, 16 kHz speech, one FSQ codebook of 65 536 codes at 50 Hz "
                   "(800 bit/s), reconstruction losses only, trained on a CPU",
    "bitrate_bps": report["codec"]["bitrate_bps"],
    "data": [
        {"name": "asterisk-en", "speaker": "Allison Smith (en_US)", "split": "train/val",
         "source": asterisk, "licence": "CC-BY-SA-3.0",
         "attribution": "Recorded by Allison Smith (http://www.theivrvoice.com); Digium, Inc."},
        {"name": "asterisk-es", "speaker": "Allison Smith (es_MX)", "split": "train/val",
         "source": asterisk, "licence": "CC-BY-SA-3.0",
         "attribution": "Recorded by Allison Smith (http://www.theivrvoice.com); Digium, Inc."},
        {"name": "asterisk-it", "speaker": "Carlo Flora (it_IT)", "split": "train/val",
         "source": asterisk, "licence": "CC-BY-3.0",
         "attribution": "Recorded by Carlo Flora (http://www.carloflora.com); translated by "
                        "Silvia Petrin (http://www.segreterietelefoniche.it)"},
        {"name": "asterisk-ru", "speaker": "ivrvoice.ru female voice (ru_RU)", "split": "train/val",
         "source": asterisk, "licence": "CC-BY-3.0",
         "attribution": "Copyright 2010 Maxim; provided by Maxim Topal (http://www.ivrvoice.ru)"},
        {"name": "festvox-ru", "speaker": "msu_ru_nsh (Nickolay V. Shmyrev)", "split": "train/val",
         "source": "http://sourceforge.net/projects/festlang.berlios (Debian festvox-ru 0.5)",
         "licence": "Festvox BSD-like licence (use, modify, distribute with the copyright notice "
                    "kept, modifications marked, authors' names kept and not used to endorse)",
         "attribution": "Copyright (c) 2005 Nickolay V. Shmyrev"},
        {"name": "asterisk-fr", "speaker": "June Wallack (fr_CA)", "split": "test (held out)",
         "source": asterisk, "licence": "CC-BY-SA-3.0",
         "attribution": "Recorded by June Wallack (http://www.junewallack.com); translated by "
                        "Clod Patry, Kristopher Lalletti, June Wallack"},
    ],
    "licence": "The weights are derived from CC-BY-SA-3.0 and CC-BY-3.0 recordings and are "
               "distributed under CC-BY-SA-3.0 with the attributions above (Festvox Russian data: "
               "BSD-like notice "
               "kept). Licence texts: usr/share/doc/<package>/copyright in each .deb.",
    "recipe": "configs/model/dwan-cpu.yaml + configs/preset/dwan-cpu.yaml; "
              "scripts/train-default-model.sh",
    "steps": step,
    "wall_time_s": train_s,
    "test_set": "realspeech:test (French speaker held out + 2 % of the training speakers' clips)",
    "metrics": {"files": report["files_evaluated"], **report["mean"],
                "real_time_factor": report["real_time_factor"]},
    "command": command,
}
print(json.dumps(card, indent=1))
EOF
  mkdir -p "$(dirname "$output")"
  "$xcodec" export "$anneal_logs/last.ckpt" -o "$output" --card "$work/model_card.json"
  echo "[export] $output (model card: $work/model_card.json)"
  if [ "$stage" = eval ]; then
    echo "== scores on the held-out test set (report: $report)"
    python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps(r['mean'], indent=1)); print('real-time factor', r['real_time_factor'], 'over', r['files_evaluated'], 'files')" "$report"
  fi
}

want fetch && timed fetch fetch
want arrange && timed arrange arrange
want prepare && timed prepare prepare
want train && timed train train
want anneal && timed anneal anneal
if want eval; then
  timed eval export_and_eval eval
elif want export; then
  timed export export_and_eval export
fi
echo "train-default-model.sh: stages ${stages[$from_i]}..${stages[$until_i]} done in" \
  "$(($(date +%s) - start_s)) s wall time (work dir $work)"
