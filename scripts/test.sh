#!/usr/bin/env bash
# The test command: lint, import rules, then the default test suite (fast; `-m slow` runs the rest).
# Extra arguments go to pytest, e.g. scripts/test.sh -m slow
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/env.sh"
cd "$root"
ruff check lmsdk tests benchmarks examples
lint-imports
python -m pytest "$@"
