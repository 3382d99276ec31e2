"""Training checkpoints: weights and optimizer state as safetensors, the rest as JSON; atomic; never pickled.

A checkpoint folder (``RUN_DIR/checkpoints/step_000500``, :class:`lmsdk.rundir.RunDir`) holds:

- ``model.safetensors`` + ``model_config.json``: the landmark model (:mod:`lmsdk.model.checkpoint`);
- ``optimizer.safetensors``: the run's optimizer state as ``INDEX.SLOT`` (``0.exp_avg``), and that of every
  further optimizer of the run (a BEGAN discriminator's) as ``NAME.INDEX.SLOT``;
- ``ema.safetensors``: the weight average, when the run keeps one;
- ``extra.safetensors``: further networks of the run (a generator, a discriminator with its ``k``) as
  ``NAME.KEY`` of their state dicts;
- ``state.json``: the progress (:class:`TrainState`), the optimizers' parameter groups, the grad scaler.

A folder appears only once complete (written under a temporary name, fsync'd and renamed); should the newest
one still be damaged (a disk error, a copy cut short), resuming falls back to the one before it.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save
from torch import Tensor, nn

from lmsdk.errors import CheckpointError
from lmsdk.fileio import (
    atomic_directory,
    atomic_write_bytes,
    atomic_write_json,
    read_json,
    remove_directory,
    remove_stale_temporaries,
)
from lmsdk.model.autoencoder import LandmarkAutoencoder
from lmsdk.model.checkpoint import WEIGHTS_FILE, check_finite, check_weights, load_state, save_model
from lmsdk.rundir import RunDir
from lmsdk.trainer.ema import WeightAverage
from lmsdk.trainer.legacy import upgrade_checkpoint

logger = logging.getLogger(__name__)

STATE_FORMAT = "lmsdk.train-state/1"
STATE_FILE = "state.json"
OPTIMIZER_FILE = "optimizer.safetensors"
EMA_FILE = "ema.safetensors"
EXTRA_FILE = "extra.safetensors"


@dataclass
class TrainState:
    """Progress of a run: what ``--resume`` needs besides the weights and the optimizer."""

    step: int = 0  # steps completed
    planned_steps: int | None = None  # the schedule's length, fixed once the time budget is calibrated
    elapsed_seconds: float = 0.0  # training wall time so far, across resumes


@dataclass
class Checkpointed:
    """What a checkpoint saves and restores besides the :class:`TrainState`."""

    model: LandmarkAutoencoder
    optimizer: torch.optim.Optimizer
    scaler: torch.amp.GradScaler | None = None
    ema: WeightAverage | None = None
    modules: dict[str, nn.Module] = field(default_factory=dict)  # further networks, by name
    optimizers: dict[str, torch.optim.Optimizer] = field(default_factory=dict)  # further optimizers, by name


def optimizer_tensors(optimizer: torch.optim.Optimizer, prefix: str = "") -> dict[str, Tensor]:
    """An optimizer's state as flat tensors ``PREFIX INDEX.SLOT`` (its parameter groups go to JSON)."""
    return {
        f"{prefix}{index}.{name}": torch.as_tensor(value).detach().cpu().contiguous()
        for index, slots in optimizer.state_dict()["state"].items()
        for name, value in slots.items()
    }


def load_optimizer(
    optimizer: torch.optim.Optimizer, tensors: dict[str, Tensor], groups: list[dict[str, Any]] | None, path: Path
) -> None:
    """Restore :func:`optimizer_tensors` (without their prefix) with the saved parameter ``groups`` (None: the
    optimizer's own)."""
    slots: dict[int, dict[str, Tensor]] = {}
    for key, value in tensors.items():
        index, name = key.split(".", 1)
        slots.setdefault(int(index), {})[name] = value
    groups = optimizer.state_dict()["param_groups"] if groups is None else groups
    try:
        optimizer.load_state_dict({"state": slots, "param_groups": groups})
    except (KeyError, ValueError) as exc:
        raise CheckpointError(f"{path}: optimizer state does not match ({exc})") from None


def save_checkpoint(run_dir: Path, saved: Checkpointed, state: TrainState, keep: int) -> Path:
    """Write a checkpoint for ``state.step`` and delete all but the ``keep`` newest (0: keep all)."""
    run = RunDir(run_dir)
    target = run.checkpoint(state.step)
    remove_stale_temporaries(target.parent)  # from a save that a crash interrupted
    tensors = optimizer_tensors(saved.optimizer)
    for name, optimizer in saved.optimizers.items():
        tensors.update(optimizer_tensors(optimizer, f"{name}."))
    extra = {
        f"{name}.{key}": value for name, module in saved.modules.items() for key, value in module.state_dict().items()
    }
    meta = {
        "format": STATE_FORMAT,
        "state": asdict(state),
        "param_groups": saved.optimizer.state_dict()["param_groups"],
        "optimizers": {name: opt.state_dict()["param_groups"] for name, opt in saved.optimizers.items()},
        "scaler": saved.scaler.state_dict() if saved.scaler is not None and saved.scaler.is_enabled() else None,
    }
    with atomic_directory(target) as tmp:
        save_model(saved.model, tmp)
        atomic_write_bytes(tmp / OPTIMIZER_FILE, save(tensors))
        if saved.ema is not None:
            atomic_write_bytes(tmp / EMA_FILE, save(saved.ema.state_dict()))
        if extra:
            atomic_write_bytes(tmp / EXTRA_FILE, save({k: v.detach().cpu().contiguous() for k, v in extra.items()}))
        atomic_write_json(tmp / STATE_FILE, meta)
    for old in run.checkpoint_dirs()[:-keep] if keep > 0 else []:
        remove_directory(old)
    return target


def load_latest_checkpoint(run_dir: Path, saved: Checkpointed) -> TrainState:
    """Restore the newest checkpoint of ``run_dir`` that loads, warning about each damaged newer one."""
    candidates = RunDir(run_dir).checkpoint_dirs()[::-1]
    if not candidates:
        raise CheckpointError(f"{run_dir}: no checkpoint to resume from")
    for path in candidates:
        try:
            return load_checkpoint(path, saved)
        except CheckpointError as exc:
            logger.warning("%s; falling back to an older checkpoint", exc)
    raise CheckpointError(f"{run_dir}: every checkpoint is damaged ({', '.join(p.name for p in candidates)})")


def load_checkpoint(path: Path, saved: Checkpointed) -> TrainState:
    """Restore everything ``saved`` names from a checkpoint folder; returns its :class:`TrainState`. Anything
    missing, truncated or mismatched raises :class:`CheckpointError` (a later successful load overwrites whatever
    a failed one had restored)."""
    meta = read_json(path / STATE_FILE, "training state")
    if not isinstance(meta, dict) or meta.get("format") != STATE_FORMAT:
        raise CheckpointError(f"{path / STATE_FILE}: not an lmsdk training state ({STATE_FORMAT})")
    weights = load_state(path / WEIGHTS_FILE)
    check_weights(weights, saved.model, path / WEIGHTS_FILE)
    try:
        saved.model.load_state_dict(weights)
    except RuntimeError:
        raise CheckpointError(f"{path / WEIGHTS_FILE}: weights do not match this run's model config") from None
    flat = load_state(path / OPTIMIZER_FILE, "optimizer state")
    check_finite(flat, path / OPTIMIZER_FILE)
    extra = load_state(path / EXTRA_FILE, "extra state") if (path / EXTRA_FILE).exists() else {}
    check_finite(extra, path / EXTRA_FILE)
    meta, flat, extra = upgrade_checkpoint(meta, flat, extra)
    main = {k: v for k, v in flat.items() if k.split(".", 1)[0].isdigit()}
    load_optimizer(saved.optimizer, main, meta["param_groups"], path / OPTIMIZER_FILE)
    for name, optimizer in saved.optimizers.items():
        own = _prefixed(flat, name)
        load_optimizer(optimizer, own, meta.get("optimizers", {}).get(name), path / OPTIMIZER_FILE)
    for name, module in saved.modules.items():
        try:
            module.load_state_dict(_prefixed(extra, name))
        except RuntimeError:
            raise CheckpointError(f"{path / EXTRA_FILE}: the {name} state does not match this run's") from None
    if saved.ema is not None:
        averaged = load_state(path / EMA_FILE, "weight average")
        check_finite(averaged, path / EMA_FILE)
        try:
            saved.ema.load_state_dict(averaged)
        except (KeyError, RuntimeError):
            raise CheckpointError(f"{path / EMA_FILE}: the weight average does not match this run's model") from None
    if saved.scaler is not None and meta.get("scaler"):
        saved.scaler.load_state_dict(meta["scaler"])
    return TrainState(**meta["state"])


def _prefixed(tensors: dict[str, Tensor], name: str) -> dict[str, Tensor]:
    """The tensors saved under ``NAME.``, without the prefix."""
    return {key[len(name) + 1 :]: value for key, value in tensors.items() if key.startswith(f"{name}.")}
