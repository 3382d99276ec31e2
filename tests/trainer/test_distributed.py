"""Data-parallel training: two CPU processes on gloo stay in sync, and divergence is caught."""

import os
import subprocess
import sys

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from lmsdk.trainer.distributed import DistInfo, check_in_sync


def test_torchrun_two_processes_stay_in_sync(tmp_path):
    run = tmp_path / "ddp"
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc-per-node",
        "2",
        "-m",
        "lmsdk",
        "train",
        "--preset",
        "tiny",
        "--steps",
        "6",
        "--batch-size",
        "8",
        "--out",
        str(run),
        "--quiet",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = (run / "train.log").read_text()
    assert "2 processes in sync" in log
    assert (run / "model" / "model.safetensors").is_file()


def _diverging_worker(rank: int, store: str, result_path: str) -> None:
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=2)
    layer = torch.nn.Linear(2, 2)
    with torch.no_grad():
        layer.weight.fill_(float(rank))  # rank 1 differs
    try:
        check_in_sync(layer, DistInfo(rank, 2, rank))
        outcome = "in sync"
    except RuntimeError as exc:
        outcome = str(exc)
    with open(f"{result_path}.{rank}", "w") as f:
        f.write(outcome)
    dist.destroy_process_group()


def test_divergence_between_processes_is_detected(tmp_path):
    # A file store, not a TCP port: nothing another process could take between choosing it and binding it.
    mp.spawn(_diverging_worker, args=(str(tmp_path / "store"), str(tmp_path / "out")), nprocs=2)
    for rank in range(2):
        assert "diverged" in (tmp_path / f"out.{rank}").read_text()


@pytest.mark.parametrize("world", [1])
def test_single_process_digest_is_stable(world):
    layer = torch.nn.Linear(3, 1)
    assert check_in_sync(layer, DistInfo(0, world, 0)) == check_in_sync(layer, DistInfo(0, world, 0))
