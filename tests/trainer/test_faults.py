"""Fault tests: a training process killed outright (SIGKILL: no handler runs) between and during checkpoint
writes resumes where its last complete checkpoint left it, and finishes the same schedule.

The kills are placed, not timed: the run is started through a wrapper that SIGKILLs the process right after
its Nth checkpoint is complete, or halfway through writing the Nth optimizer file of a checkpoint (half the
bytes on disk, inside the checkpoint's temporary folder), so the test does not depend on winning a race with a
write that takes a millisecond.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

STEPS = 30

# Runs ``python -m lmsdk ARGS`` with one fault placed: ``after-checkpoint N`` or ``torn-optimizer N``.
WRAPPER = """
import os, runpy, signal, sys
import lmsdk.trainer.checkpoints as checkpoints
import lmsdk.trainer.run as run
fault, when = sys.argv[1], int(sys.argv[2])
del sys.argv[1:3]
calls = 0
def counted():
    global calls
    calls += 1
    return calls == when
if fault == "after-checkpoint":
    save = run.save_checkpoint
    def save_then_die(*args, **kwargs):
        path = save(*args, **kwargs)
        if counted():
            os.kill(os.getpid(), signal.SIGKILL)
        return path
    run.save_checkpoint = save_then_die
else:
    write = checkpoints.atomic_write_bytes
    def tear(path, data):
        if path.name == "optimizer.safetensors" and counted():
            path.write_bytes(data[: len(data) // 2])
            os.kill(os.getpid(), signal.SIGKILL)
        return write(path, data)
    checkpoints.atomic_write_bytes = tear
runpy.run_module("lmsdk", run_name="__main__", alter_sys=True)
"""


def _train(run_dir: Path, *extra: str, fault: tuple[str, int] | None = None) -> subprocess.CompletedProcess:
    args = ["--out", str(run_dir), "-q", *extra]
    if fault is None:
        command = [sys.executable, "-m", "lmsdk", "train", *args]
    else:
        command = [sys.executable, "-c", WRAPPER, fault[0], str(fault[1]), "train", *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)


def _checkpoints(run_dir: Path) -> list[str]:
    root = run_dir / "checkpoints"
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


def _logged_steps(run_dir: Path) -> list[int]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [r["step"] for r in rows if "loss" in r]


def test_sigkill_between_and_during_checkpoint_writes_then_resume(tmp_path):
    run_dir = tmp_path / "run"
    new = ["--preset", "tiny", "--steps", str(STEPS)]
    # Killed between writes: right after its second checkpoint (every 5 steps) is complete.
    killed = _train(run_dir, *new, "--checkpoint-every", "5", fault=("after-checkpoint", 2))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert _checkpoints(run_dir) == ["step_000005", "step_000010"]
    # Killed during a write: resumed with a checkpoint every step, killed halfway through the optimizer file
    # of its second one (step 12), which stays a torn temporary folder beside the complete ones.
    killed = _train(run_dir, "--resume", "--checkpoint-every", "1", fault=("torn-optimizer", 2))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    names = _checkpoints(run_dir)
    assert [c for c in names if c.startswith(".step_000012.")], names  # the torn write is there
    assert [c for c in names if not c.startswith(".")][-1] == "step_000011", names

    done = _train(run_dir, "--resume")
    assert done.returncode == 0, done.stderr
    assert not [c for c in _checkpoints(run_dir) if c.startswith(".")]  # the torn write was cleaned up
    final = json.loads((run_dir / "final_metrics.json").read_text())
    assert final["steps"] == STEPS  # the same schedule, finished
    assert _logged_steps(run_dir) == list(range(10, STEPS + 1, 10))  # each logged step once (log_every 10)
