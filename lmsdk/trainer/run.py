"""What a training run works on: the model (and its compiled form), optimizer, weight average, data,
probe and progress, with the things the loop does to them (a step, events, checkpoints, the finish)."""

from __future__ import annotations

import logging
import math
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
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
from lmsdk.trainer.checkpoints import TrainState, save_checkpoint
from lmsdk.trainer.config import TrainConfig
from lmsdk.trainer.ema import WeightAverage
from lmsdk.trainer.monitor import Monitor
from lmsdk.trainer.probe import RegressionProbe
from lmsdk.trainer.rundir import MODEL_DIR, STATS_FILE, initialise
from lmsdk.trainer.sampler import batch_indices, step_generator
from lmsdk.trainer.samples import sample_sheet
from lmsdk.trainer.schedules import crop_scale, learning_rate
from lmsdk.trainer.speed import compiled, resolve_precision
from lmsdk.trainer.step import AugmentedBatch, FramePair, StepResult, augment, training_step
from lmsdk.viz import write_image

logger = logging.getLogger(__name__)

AUGMENT_STREAM, BN_STREAM, DRY_STREAM = 0, 1, 2


class Run:
    """State shared by the loop: the model, its optimizer, the data and where to write.

    What a run trains is :attr:`trainable` (the whole autoencoder here; the lite detector when distilling,
    :class:`~lmsdk.trainer.distill.DistillRun`), through :meth:`forward_step` and :meth:`statistics_forward`.
    """

    def __init__(self, config: TrainConfig, run_dir: Path, info: distributed.DistInfo, device: torch.device) -> None:
        self.precision = resolve_precision(config.precision, device)
        self.config = config = config.replace(precision=self.precision)
        self.run_dir, self.info, self.device = run_dir, info, device
        torch.manual_seed(config.seed)  # identical initial weights in every process
        self.core = LandmarkAutoencoder(config.model).to(device)
        self.prepare_core()
        self.trainable: nn.Module = self.trained_module()
        if config.channels_last:  # in place: the trained networks of every kind of run, and the frozen core
            self.core.to(memory_format=torch.channels_last)
            self.trainable.to(memory_format=torch.channels_last)
        model = self.trainable
        if info.enabled:
            model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
        self.model = compiled(model) if config.compile else model  # what runs the training forward
        self.optimizer = torch.optim.Adam(self.parameter_groups(), lr=config.schedule.learning_rates[0])
        self.scaler = torch.amp.GradScaler(device.type, enabled=config.precision == "fp16")
        self.ema = WeightAverage(self.trainable, config.ema_horizon) if config.ema_horizon > 0 else None
        self.source: ImageSource = open_source(config.data, config.model.crop_size)
        if config.batch_size % info.world_size:
            raise ConfigError(f"batch size {config.batch_size} does not split across {info.world_size} processes")
        self.local_batch = config.batch_size // info.world_size
        self.probe = RegressionProbe.for_training(
            config.data, self.source, config.model.crop_size, config.eval_images, config.seed
        )
        self.sample_crops = images_to_tensor(self.source.images(range(min(8, len(self.source)))), device)
        self.state = TrainState()

    # -- what a kind of run trains, and how -------------------------------------------------------------------
    def prepare_core(self) -> None:
        """Load starting weights (``config.init``) into :attr:`core`."""
        if self.config.init:
            initialise(self.core, Path(self.config.init))

    def trained_module(self) -> nn.Module:
        return self.core

    def parameter_groups(self) -> list[dict[str, Any]]:
        return param_groups(self.core, self.config.head_lr_scale)

    def forward_step(
        self, crops: torch.Tensor, pair: FramePair | None, step: int, generator: torch.Generator
    ) -> StepResult:
        """The loss of one step (no backward)."""
        return training_step(self.model, self.core, crops, self.config, step, self.total, generator, pair)

    def statistics_forward(self, batch: AugmentedBatch) -> None:
        """One training-graph forward for the exact BatchNorm statistics of :attr:`trainable`."""
        self.core(batch.inputs, batch.targets.shape[0])

    def extra_state(self) -> dict[str, torch.Tensor]:
        """Tensors besides the model and its optimizer that a checkpoint must keep (none here)."""
        return {}

    def load_extra_state(self, tensors: dict[str, torch.Tensor]) -> None:
        """Restore :meth:`extra_state` from a checkpoint (raise :class:`CheckpointError` if it does not fit)."""

    @property
    def total(self) -> int:
        """Steps the schedule is planned for (the step cap until a time budget is planned)."""
        return self.state.planned_steps or self.config.steps

    def describe(self) -> str:
        cfg = self.config
        return (
            f"{self.run_dir} on {self.source.description}: {len(self.source)} crops of {cfg.model.crop_size} px, "
            f"{cfg.model.num_landmarks} landmarks, batch {cfg.batch_size}, {self.device}, {self.precision}"
            + (", compiled" if cfg.compile else "")
        )

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

    def step(self) -> dict[str, Any]:
        """One optimizer step at ``state.step``; returns its metrics (losses, weights, learning rate)."""
        cfg, state = self.config, self.state
        step, total = state.step, self.total
        lr = learning_rate(cfg.schedule, step, total)
        for group in self.optimizer.param_groups:
            group["lr"] = lr * group["lr_scale"]
        crops, pair = self.batch(step, cfg.seed)
        generator = step_generator(cfg.seed, step, AUGMENT_STREAM, self.info.rank)
        result = self.forward_step(crops, pair, step, generator)
        loss = float(result.loss.detach())
        finite_or_raise(loss, step, cfg.precision, self.info)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(result.loss).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()
        if self.ema is not None:
            self.ema.update(self.trainable, step, total)
        state.step += 1
        metrics: dict[str, Any] = {"lr": lr, "loss": loss, "crop": result.batch.crop_size}
        metrics.update({f"loss/{k}": float(term.detach()) for k, term in result.terms.items()})
        if "reconstruction" in result.weights:  # the one scheduled weight
            metrics["weight/reconstruction"] = result.weights["reconstruction"]
        return metrics

    def dry_step(self, scale: float) -> float:
        """Seconds of a forward and backward at crop ``scale`` of the resolution curriculum, without updating
        anything (the budget planner times every resolution before the run starts)."""
        cfg = self.config
        crops, pair = self.batch(0, cfg.seed + 2)
        milestones = (0.0, *cfg.schedule.crop_scale_milestones)
        phase = cfg.schedule.crop_scales.index(scale)
        step = math.ceil(milestones[phase] * self.total)  # a step the schedule trains at this scale
        assert crop_scale(cfg.schedule, step, self.total) == scale
        start = time.monotonic()
        generator = step_generator(cfg.seed, 0, DRY_STREAM, self.info.rank)
        self.forward_step(crops, pair, step, generator).loss.backward()
        self.optimizer.zero_grad(set_to_none=True)
        return time.monotonic() - start

    def refresh_batchnorm(self) -> None:
        """Exact BN statistics from ``bn_batches`` training-graph forwards on a separate random stream, at the
        model's own resolution."""
        cfg, step = self.config, self.state.step

        def forward(i: int) -> None:
            gen = step_generator(cfg.seed, step * 100_003 + i, BN_STREAM, self.info.rank)
            crops, pair = self.batch(step * 100_003 + i, cfg.seed + 1)
            second = None if pair is None else pair.crops
            self.statistics_forward(augment(self.core, crops, cfg, step, self.total, gen, second, scale=1.0))

        recompute_batchnorm_statistics(self.trainable, forward, cfg.bn_batches)
        distributed.average_buffers(self.trainable, self.info)

    def periodic_events(self, monitor: Monitor) -> None:
        """Samples, probes and checkpoints that fall on this step (the end of the run does all of them once)."""
        cfg, step = self.config, self.state.step
        if step >= self.total:
            return
        due = {
            name: every > 0 and step % every == 0
            for name, every in (
                ("sample", cfg.sample_every),
                ("probe", cfg.eval_every),
                ("checkpoint", cfg.checkpoint_every),
            )
        }
        if due["sample"] or due["probe"]:
            with self.averaged():
                self.refresh_batchnorm()
                if due["probe"] and self.probe.active and self.info.is_main:
                    monitor.log(step, {"time": round(self.state.elapsed_seconds, 3), **self.probe(self.core)})
                if due["sample"] and self.info.is_main:
                    self._write_sample(monitor)
        if due["checkpoint"]:
            self.save_checkpoint()
        self.core.train()

    def averaged(self) -> AbstractContextManager[None]:
        """A context in which the model holds the weights it would export (the average, when there is one)."""
        return self.ema.applied(self.trainable) if self.ema is not None else nullcontext()

    def save_checkpoint(self) -> Path | None:
        """Write a checkpoint of this step (main process; every process checks they are in sync first)."""
        digest = distributed.check_in_sync(self.core, self.info)
        if not self.info.is_main:
            return None
        path = save_checkpoint(
            self.run_dir,
            self.core,
            self.optimizer,
            self.scaler,
            self.state,
            self.config.keep_checkpoints,
            self.ema,
            self.extra_state(),
        )
        logger.info("checkpoint at step %d (parameters %s)", self.state.step, digest[:12])
        return path

    def _write_sample(self, monitor: Monitor) -> None:
        sheet = sample_sheet(self.core, self.sample_crops)
        write_image(str(self.run_dir / "samples" / f"step_{self.state.step:06d}.png"), sheet)
        monitor.image("samples", sheet, self.state.step)

    def finish(self, monitor: Monitor) -> dict[str, Any]:
        """The final checkpoint, then the exported weights (the average, if any) with exact BN statistics, the
        model folder, probe and sample sheet."""
        state, info = self.state, self.info
        state.planned_steps = state.step  # what was trained is the schedule that was run
        self.save_checkpoint()
        if self.ema is not None:
            self.ema.copy_to(self.trainable)
        self.refresh_batchnorm()
        digest = distributed.check_in_sync(self.core, info)
        final: dict[str, Any] = {
            "steps": state.step,
            "time": round(state.elapsed_seconds, 3),
            "parameters_sha256": digest,
        }
        if info.is_main:
            if info.enabled:
                logger.info("%d processes in sync: parameters %s", info.world_size, digest[:12])
            with atomic_directory(self.run_dir / MODEL_DIR) as folder:  # the model appears whole or not at all
                self.write_model(folder)
            if self.probe.active:
                final.update(self.probe(self.core))
            self._write_sample(monitor)
            monitor.log(state.step, {"final": True, **final})
            atomic_write_json(self.run_dir / "final_metrics.json", final)
            logger.info(
                "finished %d steps in %.1f min; model written to %s",
                state.step,
                state.elapsed_seconds / 60,
                self.run_dir / MODEL_DIR,
            )
        return final

    def write_model(self, folder: Path) -> None:
        """Write what the run exports into ``folder`` (``RUN_DIR/model`` being written): the weights and config,
        and the landmark statistics."""
        save_model(self.core, folder)
        atomic_write_json(folder / STATS_FILE, self._landmark_statistics())

    def _landmark_statistics(self, images: int = 500) -> dict[str, Any]:
        """Where the landmarks sit within the crop on the training data, and how confident the detector is there.

        The tracker frames new crops with the positions and judges its detections against the confidence.
        """
        idx = np.linspace(0, len(self.source) - 1, min(images, len(self.source))).round().astype(int)
        points, confidence = predict_detections(self.core, self.source, indices=idx)
        return {
            "mean": points.mean(0).tolist(),
            "std": points.std(0).tolist(),
            "images": len(idx),
            "confidence": float(np.median(confidence.mean(1))),
        }


def checkpoint_model(run_dir: str | Path, checkpoint: str | Path, *, threads: int | None = None) -> LandmarkAutoencoder:
    """The model a checkpoint of ``run_dir`` would export: its weights (the average, when the run keeps one) with
    exact BatchNorm statistics from the run's own data and augmentation, in eval mode on the CPU.

    Benchmarks use it to measure quality at points along a run without spending the run's budget on it.
    """
    from lmsdk.trainer.checkpoints import load_checkpoint
    from lmsdk.trainer.rundir import CONFIG_FILE

    run_dir = Path(run_dir)
    config = TrainConfig.read(run_dir / CONFIG_FILE).replace(
        device="cpu", compile=False, progress=False, **({"threads": threads} if threads else {})
    )
    run = make_run(config, run_dir, distributed.DistInfo(), torch.device("cpu"))
    run.state = load_checkpoint(Path(checkpoint), run.core, run.optimizer, run.scaler, run.ema)
    if run.ema is not None:
        run.ema.copy_to(run.trainable)
    run.refresh_batchnorm()
    return run.core.eval()


def make_run(config: TrainConfig, run_dir: Path, info: distributed.DistInfo, device: torch.device) -> Run:
    """The kind of run ``config`` asks for: discovery (:class:`Run`), distillation (``config.distill``),
    sharpening (``config.sharpen``) or generation (``config.generation``)."""
    if config.generation is not None:
        from lmsdk.trainer.generation import GeneratorRun

        return GeneratorRun(config, run_dir, info, device)
    if config.sharpen is not None:
        from lmsdk.trainer.sharpen import SharpenRun

        return SharpenRun(config, run_dir, info, device)
    if config.distill is not None:
        from lmsdk.trainer.distill import DistillRun

        return DistillRun(config, run_dir, info, device)
    return Run(config, run_dir, info, device)


def param_groups(core: LandmarkAutoencoder, head_lr_scale: float) -> list[dict[str, Any]]:
    """Adam's parameter groups: the detector's score-map scale and shift with their own learning-rate scale,
    everything else at the schedule's rate (``lr_scale`` 1)."""
    head = list(core.detector.head[1].parameters())
    ids = {id(p) for p in head}
    rest = [p for p in core.parameters() if id(p) not in ids]
    return [{"params": rest, "lr_scale": 1.0}, {"params": head, "lr_scale": head_lr_scale}]


def finite_or_raise(loss: float, step: int, precision: str, info: distributed.DistInfo) -> None:
    """Stop every process before the weights are touched when the loss is not finite (fp16 overflows are the
    grad scaler's business: it skips the step)."""
    if distributed.any_rank(not math.isfinite(loss) and precision != "fp16", info):
        raise FloatingPointError(f"the loss became non-finite at step {step} (here {loss}); lower the learning rate")
