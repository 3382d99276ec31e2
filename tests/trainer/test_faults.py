"""Fault tests: a training process killed outright (SIGKILL: no handler runs) between and during checkpoint
writes resumes where its last complete checkpoint left it, and finishes the same schedule."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

STEPS = 30


def _start(run_dir: Path, *extra: str) -> subprocess.Popen:
    args = ["-m", "lmsdk", "train", "--preset", "tiny", "--steps", str(STEPS), "--out", str(run_dir), "-q", *extra]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)


def _checkpoints(run_dir: Path) -> list[str]:
    root = run_dir / "checkpoints"
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run never got there"
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def _logged_steps(run_dir: Path) -> list[int]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [r["step"] for r in rows if "loss" in r]


def test_sigkill_between_and_during_checkpoint_writes_then_resume(tmp_path):
    run_dir = tmp_path / "run"
    # Killed between writes: after its second checkpoint (every 5 steps) but before the third.
    proc = _start(run_dir, "--checkpoint-every", "5")
    _kill_when(proc, lambda: len(_checkpoints(run_dir)) >= 2)
    kept = [c for c in _checkpoints(run_dir) if not c.startswith(".")]
    # Killed during a write: checkpoints every step, killed the moment a half-written one shows up.
    proc = _start(run_dir, "--resume", "--checkpoint-every", "1")
    _kill_when(proc, lambda: any(c.startswith(".") for c in _checkpoints(run_dir)))
    survivors = [c for c in _checkpoints(run_dir) if not c.startswith(".")]
    assert survivors and survivors[-1] >= kept[-1]  # every complete checkpoint is still whole

    done = subprocess.run(
        [sys.executable, "-m", "lmsdk", "train", "--out", str(run_dir), "--resume", "-q"],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert not [c for c in _checkpoints(run_dir) if c.startswith(".")]  # the torn write was cleaned up
    final = json.loads((run_dir / "final_metrics.json").read_text())
    assert final["steps"] == STEPS  # the same schedule, finished
    assert _logged_steps(run_dir) == list(range(10, STEPS + 1, 10))  # each logged step once (log_every 10)
