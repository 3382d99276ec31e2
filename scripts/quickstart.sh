#!/usr/bin/env bash
# From a fresh clone to a trained model: sets up .venv, trains on the built-in synthetic faces for a few
# minutes on the CPU. Pass a different --out or --max-minutes to change it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/env.sh"
cd "$root"
run="${RUN:-runs/quickstart}"
rm -rf "$run"
lmsdk train --data synthetic --preset cpu --max-minutes "${MINUTES:-5}" --out "$run"
echo "trained model: $run/model   samples: $run/samples   metrics: $run/metrics.jsonl"
