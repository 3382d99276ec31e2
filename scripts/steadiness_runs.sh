#!/usr/bin/env bash
# Video that teaches steadiness (docs/steadiness.md): one face model fine-tuned for the same number of steps
# (a) on MTFL's images alone and (b) on MTFL's images and the three training clips together, both exported with
# the five named points, then the steadiness benchmark on the held-out clips (talking_face_2, speech_2: jitter,
# lag, agreement with MediaPipe, MTFL error of each model) and the choice of smoothing on the training clips.
#
#   [INIT=MODEL] [STEPS=N] scripts/steadiness_runs.sh DATA_DIR [STEP...]
#       STEP: image video export benchmark select (default: all five, in this order)
#
# DATA_DIR holds mtfl/train.txt and videos/ (../shared/data). Variables:
#   INIT       the model both runs start from (lmsdk train --init): a shipped model's name (default faces), a
#              finished run (e.g. runs/faces16k, the K = 10 model every figure of docs/steadiness.md starts from)
#              or an artifact exported with --with-weights; K and the crop side follow it. The benchmark measures
#              it too ("init": a run is exported first).
#   STEPS      optimizer steps of each run (default 1300: about 8 minutes at 0.35 s/step on the 2-core CPU, plus
#              torch.compile's 1-2 minutes; a video step costs about 12 % more: 4 of its 16 crops bring a frame
#              pair). VIDEO_SHARE: the share of each batch that is video pairs (default 0.25); VIDEO_GAP: the frames
#              between the two frames of a pair (default 10, the paper's).
#   SEED       the seed of both runs (default 0): a second seed of a setting is the yardstick of its differences.
#   TRAIN_OPTS more lmsdk train options for both runs (e.g. "--no-compile").
#   RUNS, ARTIFACTS, RESULTS, PICTURE   where the runs (default runs/steadiness), the artifacts
#              (artifacts/steadiness), the benchmark's JSON and logs (docs/results/steadiness) and its picture
#              (docs/images/steadiness.jpg) go.
#   MPPY       the Python of MediaPipe's venv for the benchmark (default /work/mpvenv/bin/python; docs/steadiness.md
#              says how to make one); a Python without mediapipe leaves MediaPipe's figures out.
# A finished run (RUNS/NAME/model) is kept and an interrupted one resumed, so a step can be re-run alone. The flow
# of the training clips is computed once into RUNS/flow. Budget on the 2-core CPU: about 10 minutes per run,
# 1-3 for the exports, about 5 for the benchmark and 5-8 for select.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -lt 1 ] || [ ! -f "$1/mtfl/train.txt" ] || [ ! -d "$1/videos" ]; then
  echo "usage: [INIT=MODEL] [STEPS=N] scripts/steadiness_runs.sh DATA_DIR [image|video|export|benchmark|select ...]" \
    "(DATA_DIR/mtfl/train.txt or DATA_DIR/videos not found)" >&2
  exit 2
fi
data="$(cd "$1" && pwd)"
shift
todo=("$@")
[ ${#todo[@]} -eq 0 ] && todo=(image video export benchmark select)
source "$root/scripts/env.sh"
cd "$root"
init="${INIT:-faces}"
steps="${STEPS:-1300}"
share="${VIDEO_SHARE:-0.25}"
gap="${VIDEO_GAP:-10}"
runs="${RUNS:-runs/steadiness}"
arts="${ARTIFACTS:-artifacts/steadiness}"
results="${RESULTS:-docs/results/steadiness}"
picture="${PICTURE:-docs/images/steadiness.jpg}"
mppy="${MPPY:-/work/mpvenv/bin/python}"
if [ ! -x "$mppy" ]; then
  echo "$mppy not found: the benchmark runs without MediaPipe (set MPPY to a venv's python with mediapipe)" >&2
  mppy="$(command -v python)"
fi
mtfl="$data/mtfl/train.txt"
read -r -a extra <<< "${TRAIN_OPTS:-}"
# Both runs without fine-tuning's identity term (--keep-landmarks 0): the landmarks free to follow the pixels, as
# every figure of docs/steadiness.md was measured.
budget=(--preset cpu --steps "$steps" --max-minutes 0 --seed "${SEED:-0}" --checkpoint-every 500 --keep-landmarks 0 --quiet
  "${extra[@]}")
mkdir -p "$runs" "$results"

# The training clips of benchmarks/clips/train.txt (their crop boxes kept), found in DATA_DIR/videos.
clips="$runs/train-clips.txt"
awk -v dir="$data/videos" '/^#/ || NF == 0 { print; next } { n = split($1, part, "/"); $1 = dir "/" part[n]; print }' \
  benchmarks/clips/train.txt > "$clips"

train() {  # NAME OPTION...: train RUNS/NAME from INIT, resume it if interrupted, keep it if finished
  local name="$1"
  shift
  if [ -d "$runs/$name/model" ]; then
    echo "$runs/$name: finished, kept" >&2
  elif [ -f "$runs/$name/config.json" ]; then
    lmsdk train --out "$runs/$name" --resume --quiet
  else
    lmsdk train --init "$init" "$@" "${budget[@]}" --out "$runs/$name"
  fi
}

# The starting model as an artifact the benchmark opens: a run is exported, an artifact or a name used as it is.
if [ -d "$init" ] && [ ! -f "$init/manifest.json" ]; then init_artifact="$arts/init"; else init_artifact="$init"; fi

for step in "${todo[@]}"; do
  case "$step" in
    image)  # (a) MTFL's fit part alone
      train image --data "$mtfl#fit" ;;
    video)  # (b) MTFL's fit part and the three training clips, VIDEO_SHARE of each batch video pairs
      train video --data "$mtfl#fit" --data "$clips" --video-share "$share" --video-gap "$gap" --flow-cache "$runs/flow" ;;
    export)  # the five named points fitted on MTFL's fit part, as the shipped model's
      for run in image video; do
        lmsdk export "$runs/$run" --out "$arts/$run" --labels "$mtfl#fit"
      done
      if [ "$init_artifact" = "$arts/init" ]; then
        lmsdk export "$init" --out "$arts/init" --labels "$mtfl#fit"
      fi ;;
    benchmark)  # held-out clips; every model's detector graph in fp32 (a shipped model's tracker graph is a student)
      PYTHONPATH="$root" "$mppy" benchmarks/steadiness.py video="$arts/video:fp32:detector" \
        image="$arts/image:fp32:detector" init="$init_artifact:fp32:detector" \
        --videos "$data/videos" --train-clips "$clips" --mtfl "$mtfl" --picture "$picture" \
        --out "$results/steadiness.json" 2>&1 | tee "$results/steadiness.txt" ;;
    select)  # the training clips only; reports the pick, changes nothing
      PYTHONPATH="$root" "$mppy" benchmarks/steadiness.py video="$arts/video:fp32:detector" \
        image="$arts/image:fp32:detector" init="$init_artifact:fp32:detector" \
        --select-smoothing --train-clips "$clips" \
        --out "$results/smoothing-selection.json" 2>&1 | tee "$results/smoothing-selection.txt" ;;
    *) echo "unknown step $step (image, video, export, benchmark or select)" >&2; exit 2 ;;
  esac
done
