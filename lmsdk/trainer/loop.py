"""The training loop: ``train(config, run_dir)`` reads top to bottom.

A run directory holds everything a run writes: ``config.json`` (the resolved :class:`TrainConfig`),
``checkpoints/``, ``metrics.jsonl``, ``tensorboard/``, ``samples/*.png``, ``train.log`` and, once
finished, ``model/`` (what ``lmsdk export`` reads).
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel

from lmsdk.data.base import ImageSource
from lmsdk.data.sources import open_source
from lmsdk.errors import ConfigError
from lmsdk.eval.predict import predict_detections
from lmsdk.fileio import atomic_directory, atomic_write_json
from lmsdk.model.autoencoder import LandmarkAutoencoder
from lmsdk.model.checkpoint import save_model
from lmsdk.ops.images import images_to_tensor
from lmsdk.trainer import distributed
from lmsdk.trainer.bn_stats import recompute_batchnorm_statistics
from lmsdk.trainer.budget import CALIBRATION_STEPS, Budget, events_per_step
from lmsdk.trainer.checkpoints import TrainState, checkpoint_dirs, load_checkpoint, save_checkpoint
from lmsdk.trainer.config import TrainConfig
from lmsdk.trainer.control import StepTimer, StopRequest
from lmsdk.trainer.monitor import Monitor
from lmsdk.trainer.probe import RegressionProbe
from lmsdk.trainer.rundir import CONFIG_FILE, MODEL_DIR, STATS_FILE, initialise, log_to_file, resolve_config
from lmsdk.trainer.sampler import batch_indices, step_generator
from lmsdk.trainer.samples import sample_sheet
from lmsdk.trainer.schedules import first_change, learning_rate
from lmsdk.trainer.step import FramePair, augment, training_step
from lmsdk.viz import write_image

logger = logging.getLogger(__name__)

AUGMENT_STREAM, BN_STREAM = 0, 1
REPLAN_EVERY = 50  # steps between re-estimates of how many steps fit in the time budget

Hook = Callable[[int, dict[str, Any]], None]


@dataclass(frozen=True)
class RunResult:
    run_dir: Path
    steps: int  # steps completed
    planned_steps: int
    interrupted: bool  # stopped by Ctrl-C; a checkpoint was written, resume with resume=True
    final_metrics: dict[str, Any]


class _Run:
    """State shared by the loop's helpers: the model, its optimizer, the data and where to write."""

    def __init__(self, config: TrainConfig, run_dir: Path, info: distributed.DistInfo, device: torch.device) -> None:
        self.config, self.run_dir, self.info, self.device = config, run_dir, info, device
        torch.manual_seed(config.seed)  # identical initial weights in every process
        self.core = LandmarkAutoencoder(config.model).to(device)
        if config.init:
            initialise(self.core, Path(config.init))
        if config.channels_last:
            self.core = self.core.to(memory_format=torch.channels_last)
        self.model: torch.nn.Module = (
            DistributedDataParallel(self.core, device_ids=[device.index] if device.type == "cuda" else None)
            if info.enabled
            else self.core
        )
        self.optimizer = torch.optim.Adam(self.core.parameters(), lr=config.schedule.learning_rates[0])
        self.scaler = torch.amp.GradScaler(device.type, enabled=config.precision == "fp16")
        self.source: ImageSource = open_source(config.data, config.model.crop_size)
        if config.batch_size % info.world_size:
            raise ConfigError(f"batch size {config.batch_size} does not split across {info.world_size} processes")
        self.local_batch = config.batch_size // info.world_size
        self.probe = RegressionProbe.for_training(
            config.data, self.source, config.model.crop_size, config.eval_images, config.seed
        )
        self.state = TrainState()

    @property
    def total(self) -> int:
        return self.state.planned_steps or self.config.steps

    def batch(self, step: int, stream_seed: int) -> tuple[torch.Tensor, FramePair | None]:
        """This process's crops of ``step`` (and, for video, the second frames and flows of the pairs)."""
        video = getattr(self.source, "provides_pairs", False)
        n = self.source.pair_count if video else len(self.source)  # type: ignore[attr-defined]
        idx = batch_indices(n, self.local_batch, step, stream_seed, self.info.rank, self.info.world_size)
        if not video:
            return images_to_tensor(self.source.images(idx), self.device), None
        a, b, forward, backward = (np.stack(x) for x in zip(*(self.source.pair(int(i)) for i in idx), strict=True))
        flows = [torch.from_numpy(f).permute(0, 3, 1, 2).to(self.device) for f in (forward, backward)]
        return images_to_tensor(a, self.device), FramePair(images_to_tensor(b, self.device), *flows)

    def refresh_batchnorm(self) -> None:
        """Exact BN statistics from ``bn_batches`` training-graph forwards on a separate random stream."""
        cfg, step = self.config, self.state.step

        def forward(i: int) -> None:
            gen = step_generator(cfg.seed, step * 100_003 + i, BN_STREAM, self.info.rank)
            crops, pair = self.batch(step * 100_003 + i, cfg.seed + 1)
            batch = augment(self.core, crops, cfg, step, self.total, gen, None if pair is None else pair.crops)
            self.core(batch.inputs, batch.targets.shape[0])

        recompute_batchnorm_statistics(self.core, forward, cfg.bn_batches)
        distributed.average_buffers(self.core, self.info)


def train(config: TrainConfig, run_dir: str | Path, *, resume: bool = False, hooks: tuple[Hook, ...] = ()) -> RunResult:
    """Train a landmark autoencoder; write everything under ``run_dir``.

    Args:
        config: the resolved configuration (see :mod:`lmsdk.trainer.presets`).
        run_dir: output folder; must be new or empty unless ``resume``.
        resume: continue the newest checkpoint in ``run_dir`` with the same schedule.
        hooks: called as ``hook(step, metrics)`` after every step (tests use it to interrupt).

    Returns:
        A :class:`RunResult`. Ctrl-C writes a checkpoint and returns with ``interrupted=True``.
    """
    run_dir = Path(run_dir)
    config = resolve_config(config, run_dir, resume)
    info, device = distributed.setup(config.device)
    torch.set_num_threads(config.threads or max(1, (os.cpu_count() or 1) // info.world_size))
    try:
        run = _Run(config, run_dir, info, device)  # opens the data: bad input fails before anything is written
        if info.is_main and not resume:
            atomic_write_json(run_dir / CONFIG_FILE, config.to_dict())
        log_handler = log_to_file(run_dir, info)
        try:
            return _train(run, resume, hooks)
        finally:
            if log_handler is not None:
                logging.getLogger("lmsdk").removeHandler(log_handler)
                log_handler.close()
    finally:
        distributed.teardown(info)


def _train(run: _Run, resume: bool, hooks: tuple[Hook, ...]) -> RunResult:
    config, run_dir, info, device = run.config, run.run_dir, run.info, run.device
    if resume:
        latest = checkpoint_dirs(run_dir)[-1]
        run.state = load_checkpoint(latest, run.core, run.optimizer, run.scaler)
        logger.info("resuming %s at step %d of %d", run_dir, run.state.step, run.total)
    logger.info(
        "training %s on %s: %d crops of %d px, %d landmarks, batch %d, device %s",
        run_dir,
        run.source.description,
        len(run.source),
        config.model.crop_size,
        config.model.num_landmarks,
        config.batch_size,
        device,
    )
    monitor = Monitor(
        run_dir, enabled=info.is_main, total=run.total, start_step=run.state.step, progress=config.progress
    )
    sample_crops = images_to_tensor(run.source.images(range(min(8, len(run.source)))), device)
    timer = StepTimer(run.state.elapsed_seconds)
    try:
        with StopRequest() as stop:
            _loop(run, monitor, sample_crops, timer, hooks, stop)
    except KeyboardInterrupt:
        run.state.elapsed_seconds = timer.elapsed()
        if info.is_main:
            path = save_checkpoint(run_dir, run.core, run.optimizer, run.scaler, run.state, config.keep_checkpoints)
            logger.warning(
                "interrupted at step %d; checkpoint %s written; continue with --resume", run.state.step, path
            )
        monitor.close()
        return RunResult(run_dir, run.state.step, run.total, True, {})

    final = _finish(run, monitor, sample_crops, timer)
    monitor.close()
    return RunResult(run_dir, run.state.step, run.total, False, final)


def _loop(
    run: _Run,
    monitor: Monitor,
    sample_crops: torch.Tensor,
    timer: StepTimer,
    hooks: tuple[Hook, ...],
    stop: StopRequest,
) -> None:
    """Steps until the schedule's end or the time budget; Ctrl-C is honoured between steps."""
    config, info = run.config, run.info
    while run.state.step < run.total:
        if distributed.any_rank(_over_budget(run, timer), info):
            logger.info("time budget of %.1f min reached at step %d", config.max_minutes, run.state.step)
            return
        metrics = _one_step(run, timer)
        step = run.state.step
        timed_enough = len(timer.step_times) >= CALIBRATION_STEPS
        if config.max_minutes and timed_enough and (run.state.planned_steps is None or step % REPLAN_EVERY == 0):
            _plan(run, timer)
        if step % config.log_every == 0 or step == run.total:
            monitor.log(step, metrics)
        monitor.update(step, run.total, _status(metrics))
        _periodic_events(run, monitor, sample_crops)
        for hook in hooks:
            hook(step, metrics)
        if distributed.any_rank(stop.requested, info):
            raise KeyboardInterrupt


def _one_step(run: _Run, timer: StepTimer) -> dict[str, Any]:
    cfg, state = run.config, run.state
    step = state.step
    t0 = time.monotonic()
    lr = learning_rate(cfg.schedule, step, run.total)
    for group in run.optimizer.param_groups:
        group["lr"] = lr
    crops, pair = run.batch(step, cfg.seed)
    generator = step_generator(cfg.seed, step, AUGMENT_STREAM, run.info.rank)
    result = training_step(run.model, run.core, crops, cfg, step, run.total, generator, pair)
    loss = float(result.loss.detach())
    # fp16 overflows are the grad scaler's business (it skips the step); anything else stops every process
    # before the weights are touched.
    if distributed.any_rank(not math.isfinite(loss) and cfg.precision != "fp16", run.info):
        raise FloatingPointError(f"the loss became non-finite at step {step} (here {loss}); lower the learning rate")
    run.optimizer.zero_grad(set_to_none=True)
    run.scaler.scale(result.loss).backward()
    run.scaler.step(run.optimizer)
    run.scaler.update()
    seconds = time.monotonic() - t0
    timer.step_times.append(seconds)
    state.step += 1
    state.elapsed_seconds = timer.elapsed()
    metrics: dict[str, Any] = {
        "time": round(state.elapsed_seconds, 3),
        "lr": lr,
        "loss": loss,
        "images_per_s": cfg.batch_size / seconds,
    }
    for k, term in result.terms.items():
        metrics[f"loss/{k}"] = float(term.detach())
    metrics["weight/reconstruction"] = result.weights["reconstruction"]
    return metrics


def _plan(run: _Run, timer: StepTimer) -> None:
    """Size the run to the time budget from the measured step time.

    The first plan follows the calibration steps; later ones (every ``REPLAN_EVERY`` steps) may shrink it,
    and may lengthen it only while no schedule has changed yet (the first steps are often slow: allocator
    and cuDNN warm-up), so a milestone once passed stays passed and the schedule keeps its shape.
    """
    cfg = run.config
    recent = sorted(timer.step_times[2:][-REPLAN_EVERY:])
    seconds = recent[len(recent) // 2]
    rate = events_per_step(cfg.sample_every, cfg.checkpoint_every, cfg.eval_every)
    planned = Budget(cfg.max_minutes or 0.0, seconds, cfg.bn_batches, rate).plan(
        timer.elapsed(), run.state.step, cfg.steps
    )
    planned = distributed.agree_int(planned, run.info)  # every process runs the same schedule
    first = run.state.planned_steps is None
    unchanged = not first and run.state.step < first_change(cfg.schedule, cfg.augment) * run.state.planned_steps
    if first or planned < run.state.planned_steps or (unchanged and planned > run.state.planned_steps):
        run.state.planned_steps = planned
        logger.info(
            "%.2f s per step: %d steps fit in %.1f min (cap %d)%s",
            seconds,
            planned,
            cfg.max_minutes,
            cfg.steps,
            "" if first else " (re-planned)",
        )


def _over_budget(run: _Run, timer: StepTimer) -> bool:
    cfg = run.config
    if not cfg.max_minutes or len(timer.step_times) < CALIBRATION_STEPS:
        return False
    seconds = sorted(timer.step_times)[len(timer.step_times) // 2]
    reserve = Budget(cfg.max_minutes, seconds, cfg.bn_batches, 0.0).final_reserve()
    return timer.elapsed() + seconds + reserve > cfg.max_minutes * 60.0


def _periodic_events(run: _Run, monitor: Monitor, sample_crops: torch.Tensor) -> None:
    cfg, step = run.config, run.state.step
    if step >= run.total:
        return  # the end of the run does all of them once
    due = {
        name: every > 0 and step % every == 0
        for name, every in (
            ("sample", cfg.sample_every),
            ("probe", cfg.eval_every),
            ("checkpoint", cfg.checkpoint_every),
        )
    }
    if not any(due.values()):
        return
    run.refresh_batchnorm()
    if due["probe"] and run.probe.active and run.info.is_main:
        monitor.log(step, {"time": round(run.state.elapsed_seconds, 3), **run.probe(run.core)})
    if due["sample"] and run.info.is_main:
        _write_sample(run, monitor, sample_crops)
    if due["checkpoint"]:
        digest = distributed.check_in_sync(run.core, run.info)
        if run.info.is_main:
            save_checkpoint(run.run_dir, run.core, run.optimizer, run.scaler, run.state, cfg.keep_checkpoints)
            logger.info("checkpoint at step %d (parameters %s)", step, digest[:12])
    run.core.train()


def _write_sample(run: _Run, monitor: Monitor, crops: torch.Tensor) -> None:
    sheet = sample_sheet(run.core, crops)
    write_image(str(run.run_dir / "samples" / f"step_{run.state.step:06d}.png"), sheet)
    monitor.image("samples", sheet, run.state.step)


def _finish(run: _Run, monitor: Monitor, sample_crops: torch.Tensor, timer: StepTimer) -> dict[str, Any]:
    """Exact BN statistics, the final model, probe, sample sheet and checkpoint."""
    cfg, info = run.config, run.info
    run.refresh_batchnorm()
    digest = distributed.check_in_sync(run.core, info)
    run.state.planned_steps = run.state.step  # what was trained is the schedule that was run
    run.state.elapsed_seconds = timer.elapsed()
    final: dict[str, Any] = {
        "steps": run.state.step,
        "time": round(run.state.elapsed_seconds, 3),
        "parameters_sha256": digest,
    }
    if info.is_main:
        if info.enabled:
            logger.info("%d processes in sync: parameters %s", info.world_size, digest[:12])
        with atomic_directory(run.run_dir / MODEL_DIR) as folder:  # the model appears whole or not at all
            save_model(run.core, folder)
            atomic_write_json(folder / STATS_FILE, _landmark_statistics(run))
        if run.probe.active:
            final.update(run.probe(run.core))
        _write_sample(run, monitor, sample_crops)
        save_checkpoint(run.run_dir, run.core, run.optimizer, run.scaler, run.state, cfg.keep_checkpoints)
        monitor.log(run.state.step, {"final": True, **final})
        atomic_write_json(run.run_dir / "final_metrics.json", final)
        logger.info(
            "finished %d steps in %.1f min; model written to %s",
            run.state.step,
            run.state.elapsed_seconds / 60,
            run.run_dir / MODEL_DIR,
        )
    return final


def _landmark_statistics(run: _Run, images: int = 500) -> dict[str, Any]:
    """Where the landmarks sit within the crop on the training data, and how confident the detector is there.

    The tracker frames new crops with the positions and judges its detections against the confidence.
    """
    idx = np.linspace(0, len(run.source) - 1, min(images, len(run.source))).round().astype(int)
    points, confidence = predict_detections(run.core, run.source, indices=idx)
    return {
        "mean": points.mean(0).tolist(),
        "std": points.std(0).tolist(),
        "images": len(idx),
        "confidence": float(np.median(confidence.mean(1))),
    }


def _status(metrics: dict[str, Any]) -> str:
    return (
        f"loss {metrics['loss']:.3g}  sep {metrics['loss/separation']:.3g}  "
        f"eqv {metrics['loss/equivariance']:.3g}  rec {metrics['loss/reconstruction']:.3g}  "
        f"{metrics['images_per_s']:.1f} img/s"
    )
