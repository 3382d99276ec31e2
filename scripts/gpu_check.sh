#!/usr/bin/env bash
# The checks only a CUDA machine can make, as one script: the gpu/trt-marked tests, training step times on
# the GPU against its matmul floor, and a short paper-preset training run on MTFL faces with the paper's
# evaluation. Uses whatever python3 (with torch) is on the machine and this checkout on PYTHONPATH.
#
#   OUT=results/ MTFL=path/to/mtfl/train.txt MINUTES=4 scripts/gpu_check.sh
#
# Each stage has its own time limit and log; a failing stage does not stop the next.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${OUT:-gpu-results}"; mtfl="${MTFL:-../shared/data/mtfl/train.txt}"; minutes="${MINUTES:-4}"
preset="${PRESET:-celeba-k10}"; run="${RUN:-/tmp/lmsdk-gpu-run}"
mkdir -p "$out"
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
stage() { local name="$1" limit="$2"; shift 2; echo "== $name"; timeout "$limit" "$@" 2>&1 | tee "$out/$name.log"; echo "== $name: exit ${PIPESTATUS[0]}"; }

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
python3 -c "import torch, importlib.util as u; print('torch', torch.__version__, 'tensorrt', bool(u.find_spec('tensorrt')))"
stage tests 60 python3 -m pytest -q -p no:cacheprovider -m "gpu or trt" -rs tests/export/test_gpu.py
# eager steps in fp32 and bf16 autocast against the GPU's matmul floors
stage train_step 120 python3 benchmarks/train_step.py --device cuda --precision fp32 bf16 --steps 5 \
    --presets cpu celeba-k10 human-k16 --out "$out/train_step_cuda.json"
if [[ -f "$mtfl" ]]; then
    stage train "$(awk "BEGIN{print int($minutes * 60 + 150)}")" python3 -m lmsdk train --out "$run" --data "$mtfl" --preset "$preset" \
        --device cuda --max-minutes "$minutes" --quiet
    stage eval 240 python3 benchmarks/mtfl_regression.py "$run" --data "$mtfl" --out "$out/mtfl-$preset"
fi
# last, the launch-bound paper step compiled (torch.compile): what it saves per step, after its compile time
stage train_step_compiled 240 python3 benchmarks/train_step.py --device cuda --compile --steps 10 \
    --presets celeba-k10 --out "$out/train_step_cuda_compiled.json"
