#!/usr/bin/env bash
# Rebuild the models that ship inside lmsdk (lmsdk/zoo/) from the data, with the commands that made them.
#
#   scripts/build_models.sh DATA_DIR [STEP...]      STEP: train distill export (default: all three, in order)
#
# DATA_DIR holds mtfl/train.txt and its images (the MTFL release; research and non-commercial use only, and so
# are the weights trained on it). Discovery never reads the labels; the 8,000 faces of train.txt#fit train
# both networks and fit the named points, the other 2,000 (#test) are held out of everything for measuring.
# Budget, measured on the 2-core CPU of docs/models.md: train about 2.1 h (1.1 h and 1 h), distill about 15 min, export 3 min (quiet machine).
# The runs go to $RUNS (default runs/models); the artifact to lmsdk/zoo/faces, replacing the shipped one.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -lt 1 ] || [ ! -f "$1/mtfl/train.txt" ]; then
  echo "usage: scripts/build_models.sh DATA_DIR [train|distill|export ...] (DATA_DIR/mtfl/train.txt not found)" >&2
  exit 2
fi
data="$(cd "$1" && pwd)"
shift
steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(train distill export)
source "$root/scripts/env.sh"
cd "$root"
runs="${RUNS:-runs/models}"
mtfl="$data/mtfl/train.txt"
for step in "${steps[@]}"; do
  case "$step" in
    train)  # the teacher: the cpu preset at K = 30, 8,000 steps of 16 (no time budget: the same model anywhere),
      # then 6,000 more from those weights on the same faces with the preset's schedule again (a warm restart)
      lmsdk train --data "$mtfl#fit" --preset cpu --landmarks 30 --steps 8000 --max-minutes 0 --seed 0 \
        --checkpoint-every 1000 --keep-checkpoints 0 --out "$runs/faces-base" --quiet
      lmsdk train --init "$runs/faces-base" --data "$mtfl#fit" --preset cpu --steps 6000 --max-minutes 0 --seed 0 \
        --checkpoint-every 1000 --keep-checkpoints 0 --out "$runs/faces" --quiet ;;
    distill)  # the lite-wide student that tracks video (its seed is the teacher's)
      lmsdk distill "$runs/faces" --out "$runs/faces-lite" --arch lite-wide --steps 1800 --max-minutes 0 --quiet ;;
    export)  # both detectors, the codec for editing, int8 tracker, named points, weights for --init, card
      lmsdk export "$runs/faces-lite" --out lmsdk/zoo/faces --labels "$mtfl#fit" --int8 --with-weights \
        --card docs/cards/faces.md \
        --license "research and non-commercial use only (trained on MTFL, whose terms these weights carry)" ;;
    *) echo "unknown step $step (train, distill or export)" >&2; exit 2 ;;
  esac
done
