"""Data-parallel training across processes started by ``torchrun`` (gloo on CPU, NCCL on CUDA)."""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def setup(device: str) -> tuple[DistInfo, torch.device]:
    """Join the process group that ``torchrun`` describes in the environment (if any); pick the device."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    info = DistInfo(int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0")))
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            from lmsdk.errors import ConfigError

            raise ConfigError("--device cuda was asked for, but torch sees no CUDA GPU")
        dev = torch.device("cuda", info.local_rank) if info.enabled or device == "cuda" else torch.device(device)
        torch.cuda.set_device(dev)
    else:
        dev = torch.device("cpu")
    if info.enabled and not dist.is_initialized():
        dist.init_process_group("nccl" if dev.type == "cuda" else "gloo")
        logger.info("process %d of %d joined (%s)", info.rank, info.world_size, dist.get_backend())
    return info, dev


def teardown(info: DistInfo) -> None:
    if info.enabled and dist.is_initialized():
        dist.destroy_process_group()


def average_buffers(module: nn.Module, info: DistInfo) -> None:
    """Average floating-point buffers (BatchNorm statistics) across processes."""
    if not info.enabled:
        return
    for buf in module.buffers():
        if buf.is_floating_point():
            dist.all_reduce(buf, op=dist.ReduceOp.SUM)
            buf.div_(info.world_size)


def parameter_digest(module: nn.Module) -> str:
    """SHA-256 of every parameter's bytes, in order."""
    h = hashlib.sha256()
    for p in module.parameters():
        h.update(p.detach().float().cpu().numpy().tobytes())
    return h.hexdigest()


def check_in_sync(module: nn.Module, info: DistInfo) -> str:
    """Verify every process holds identical parameters; returns the digest, raises if any differs."""
    digest = parameter_digest(module)
    if not info.enabled:
        return digest
    digests: list[str | None] = [None] * info.world_size
    dist.all_gather_object(digests, digest)
    if len(set(digests)) != 1:
        raise RuntimeError(f"data-parallel processes diverged: parameter digests {digests}")
    return digest


def _scalar(value: int, info: DistInfo) -> torch.Tensor:
    # NCCL reduces only CUDA tensors; gloo only CPU ones.
    device = torch.device("cuda", info.local_rank) if dist.get_backend() == "nccl" else torch.device("cpu")
    return torch.tensor([value], dtype=torch.int64, device=device)


def agree_int(value: int, info: DistInfo) -> int:
    """Rank 0's ``value`` on every process (decisions that must not differ, e.g. the planned step count)."""
    if not info.enabled:
        return value
    tensor = _scalar(value, info)
    dist.broadcast(tensor, src=0)
    return int(tensor.item())


def any_rank(flag: bool, info: DistInfo) -> bool:
    """True on every process when it is true on any (e.g. one process ran out of time)."""
    if not info.enabled:
        return flag
    tensor = _scalar(int(flag), info)
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return bool(tensor.item())
