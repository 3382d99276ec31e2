#!/usr/bin/env bash
# From a fresh clone to a tracked video: sets up .venv, trains on the built-in synthetic faces (CPU, a few
# minutes), exports ONNX with the parity gate, makes a synthetic clip and tracks it.
# MINUTES=20 scripts/quickstart.sh trains longer; RUN=... changes where it writes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/env.sh"
cd "$root"
run="${RUN:-runs/quickstart}"
rm -rf "$run"
lmsdk train --data synthetic --preset cpu --max-minutes "${MINUTES:-6}" --out "$run"
lmsdk export "$run" --out "$run/artifact"
lmsdk demo-video "$run/clip.avi" --motion drift --frames 150
lmsdk track "$run/artifact" "$run/clip.avi" --out "$run/tracked.mp4" --csv "$run/tracked.csv"
echo
echo "tracked video: $run/tracked.mp4   (landmarks per frame: $run/tracked.csv)"
echo "model: $run/model   artifact: $run/artifact   samples: $run/samples"
