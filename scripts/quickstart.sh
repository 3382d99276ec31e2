#!/usr/bin/env bash
# From a fresh clone to tracked video. Sets up .venv, then
#   1. tracks the bundled real clip (examples/media) with the shipped face model `faces` (seconds): a tracked
#      video and a CSV of the landmarks and the five named points per frame;
#   2. trains a model of its own on the built-in synthetic faces (CPU, a few minutes), exports it with the parity
#      gate, makes a synthetic clip and tracks it.
# MINUTES=20 scripts/quickstart.sh trains longer; RUN=... changes where it writes; SKIP_TRAINING=1 stops after 1.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/env.sh"
cd "$root"
run="${RUN:-runs/quickstart}"
rm -rf "$run"
mkdir -p "$run"
lmsdk track faces examples/media/talking_face.mp4 --out "$run/faces_tracked.mp4" --csv "$run/faces_tracked.csv"
echo
echo "a real face, tracked by the shipped model: $run/faces_tracked.mp4   (per frame: $run/faces_tracked.csv)"
echo "your webcam: lmsdk track faces 0 --show      (or: python examples/webcam_demo.py faces)"
echo
[ -n "${SKIP_TRAINING:-}" ] && exit 0
lmsdk train --data synthetic --preset cpu --max-minutes "${MINUTES:-6}" --out "$run/synthetic"
lmsdk export "$run/synthetic" --out "$run/artifact"
lmsdk demo-video "$run/clip.avi" --motion drift --frames 150
lmsdk track "$run/artifact" "$run/clip.avi" --out "$run/tracked.mp4" --csv "$run/tracked.csv"
echo
echo "a model of your own, trained on cartoon faces: $run/tracked.mp4   (landmarks per frame: $run/tracked.csv)"
echo "model: $run/synthetic/model   artifact: $run/artifact   samples: $run/synthetic/samples"
