"""Training checkpoints: model + optimizer as safetensors, the rest as JSON; atomic; never pickled.

Layout: ``RUN_DIR/checkpoints/step_000500/{model.safetensors, model_config.json, optimizer.safetensors,
state.json}`` (and ``ema.safetensors`` when the run averages its weights, ``extra.safetensors`` when the kind of
run keeps more state, e.g. the discriminator of ``lmsdk sharpen``). A checkpoint folder appears only
once complete (it is written under a temporary name, fsync'd and renamed); should the newest one still be
damaged (a disk error, a copy cut short), resuming falls back to the one before it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save

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
from lmsdk.trainer.ema import WeightAverage

logger = logging.getLogger(__name__)

STATE_FORMAT = "lmsdk.train-state/1"
EMA_FILE = "ema.safetensors"
EXTRA_FILE = "extra.safetensors"
# Restores the extra tensors of a kind of run (see save_checkpoint's ``extra``).
ExtraLoader = Callable[[dict[str, torch.Tensor]], None]
_STEP_DIR = re.compile(r"^step_(\d{6,})$")


@dataclass
class TrainState:
    """Progress of a run: what ``--resume`` needs besides the weights and the optimizer."""

    step: int = 0  # steps completed
    planned_steps: int | None = None  # the schedule's length, fixed once the time budget is calibrated
    elapsed_seconds: float = 0.0  # training wall time so far, across resumes
    extra: dict[str, Any] = field(default_factory=dict)


def checkpoint_dirs(run_dir: Path) -> list[Path]:
    """Complete checkpoint folders of a run, oldest first."""
    root = run_dir / "checkpoints"
    if not root.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in root.iterdir() if (m := _STEP_DIR.match(p.name)) and p.is_dir()]
    return [p for _, p in sorted(found)]


def save_checkpoint(
    run_dir: Path,
    model: LandmarkAutoencoder,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler | None,
    state: TrainState,
    keep: int,
    ema: WeightAverage | None = None,
    extra: dict[str, torch.Tensor] | None = None,
) -> Path:
    """Write a checkpoint for ``state.step`` and delete all but the ``keep`` newest (``extra``: more tensors the
    kind of run keeps, written beside the model in the same atomic folder)."""
    target = run_dir / "checkpoints" / f"step_{state.step:06d}"
    remove_stale_temporaries(target.parent)  # from a save that a crash interrupted
    opt = optimizer.state_dict()
    tensors = {}
    for index, slots in opt["state"].items():
        for name, value in slots.items():
            tensors[f"{index}.{name}"] = torch.as_tensor(value).detach().cpu().contiguous()
    meta = {
        "format": STATE_FORMAT,
        "state": asdict(state),
        "param_groups": opt["param_groups"],
        "scaler": scaler.state_dict() if scaler is not None and scaler.is_enabled() else None,
    }
    with atomic_directory(target) as tmp:
        save_model(model, tmp)
        atomic_write_bytes(tmp / "optimizer.safetensors", save(tensors))
        if ema is not None:
            atomic_write_bytes(tmp / EMA_FILE, save(ema.state_dict()))
        if extra:
            atomic_write_bytes(tmp / EXTRA_FILE, save({k: v.detach().cpu().contiguous() for k, v in extra.items()}))
        atomic_write_json(tmp / "state.json", meta)
    for old in checkpoint_dirs(run_dir)[:-keep] if keep > 0 else []:
        remove_directory(old)
    return target


def load_latest_checkpoint(
    run_dir: Path,
    model: LandmarkAutoencoder,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler | None,
    ema: WeightAverage | None = None,
    extra: ExtraLoader | None = None,
) -> TrainState:
    """Restore the newest checkpoint of ``run_dir`` that loads, warning about each damaged newer one."""
    candidates = checkpoint_dirs(run_dir)[::-1]
    if not candidates:
        raise CheckpointError(f"{run_dir}: no checkpoint to resume from")
    for path in candidates:
        try:
            return load_checkpoint(path, model, optimizer, scaler, ema, extra)
        except CheckpointError as exc:
            logger.warning("%s; falling back to an older checkpoint", exc)
    raise CheckpointError(f"{run_dir}: every checkpoint is damaged ({', '.join(p.name for p in candidates)})")


def load_checkpoint(
    path: Path,
    model: LandmarkAutoencoder,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler | None,
    ema: WeightAverage | None = None,
    extra: ExtraLoader | None = None,
) -> TrainState:
    """Restore model, optimizer (grad scaler, weight average) from a checkpoint folder; returns its
    :class:`TrainState`. Anything missing, truncated or mismatched raises :class:`CheckpointError` (a later
    successful load overwrites whatever a failed one had restored). ``extra`` receives the checkpoint's extra
    tensors (empty when it has none) and raises :class:`CheckpointError` when they do not fit."""
    meta = read_json(path / "state.json", "training state")
    if not isinstance(meta, dict) or meta.get("format") != STATE_FORMAT:
        raise CheckpointError(f"{path / 'state.json'}: not an lmsdk training state ({STATE_FORMAT})")
    weights = load_state(path / WEIGHTS_FILE)
    check_weights(weights, model, path / WEIGHTS_FILE)
    try:
        model.load_state_dict(weights)
    except RuntimeError:
        raise CheckpointError(f"{path / WEIGHTS_FILE}: weights do not match this run's model config") from None
    flat = load_state(path / "optimizer.safetensors", "optimizer state")
    check_finite(flat, path / "optimizer.safetensors")
    slots: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in flat.items():
        index, name = key.split(".", 1)
        slots.setdefault(int(index), {})[name] = value
    try:
        optimizer.load_state_dict({"state": slots, "param_groups": meta["param_groups"]})
    except (KeyError, ValueError) as exc:
        raise CheckpointError(f"{path / 'optimizer.safetensors'}: optimizer state does not match ({exc})") from None
    if ema is not None:
        averaged = load_state(path / EMA_FILE, "weight average")
        check_finite(averaged, path / EMA_FILE)
        try:
            ema.load_state_dict(averaged)
        except (KeyError, RuntimeError):
            raise CheckpointError(f"{path / EMA_FILE}: the weight average does not match this run's model") from None
    if extra is not None:
        extras = load_state(path / EXTRA_FILE, "extra state") if (path / EXTRA_FILE).exists() else {}
        check_finite(extras, path / EXTRA_FILE)
        extra(extras)
    if scaler is not None and meta.get("scaler"):
        scaler.load_state_dict(meta["scaler"])
    return TrainState(**meta["state"])
