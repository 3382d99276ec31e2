#!/usr/bin/env bash
# Create (or refresh) the project's virtual environment in .venv with the pinned versions of
# constraints.txt: torch 2.13.0 CPU, onnxruntime (CPU), and the dev tools. Sourced by the other scripts.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.lmsdk-installed"
want="$(cat "$root/pyproject.toml" "$root/constraints.txt" | sha256sum | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ]; then
  echo "creating $venv" >&2
  "${PYTHON:-python3}" -m venv "$venv"
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "installing lmsdk[train,cpu,dev] with the pinned versions of constraints.txt" >&2
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -c "$root/constraints.txt" -e "$root[train,cpu,dev]"
  echo "$want" > "$stamp"
fi
export PATH="$venv/bin:$PATH"
