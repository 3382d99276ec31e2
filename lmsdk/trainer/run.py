"""What a training run works on, the same for every stage: the stage's networks (and the trained one's compiled
form), the optimizer, the weight average, the data, the probe and the progress, with the things the loop does to
them (a step, events, checkpoints, the finish)."""

from __future__ import annotations

import logging
import math
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel

from lmsdk.data.base import ImageSource
from lmsdk.data.mixture import TrainingData, open_training_data
from lmsdk.data.sources import spread_indices
from lmsdk.errors import ConfigError
from lmsdk.eval.predict import predict_detections
from lmsdk.fileio import atomic_directory, atomic_write_json
from lmsdk.model.autoencoder import LandmarkAutoencoder
from lmsdk.model.checkpoint import save_model
from lmsdk.ops.images import images_to_tensor
from lmsdk.rundir import STATS_FILE, RunDir
from lmsdk.trainer import distributed
from lmsdk.trainer.bn_stats import batchnorm_layers, recompute_batchnorm_statistics
from lmsdk.trainer.checkpoints import Checkpointed, TrainState, load_checkpoint, save_checkpoint
from lmsdk.trainer.config import TrainConfig
from lmsdk.trainer.ema import WeightAverage
from lmsdk.trainer.monitor import Monitor
from lmsdk.trainer.probe import RegressionProbe
from lmsdk.trainer.sampler import batch_indices, step_generator
from lmsdk.trainer.schedules import crop_scale, learning_rate
from lmsdk.trainer.speed import autocast, compiled, resolve_precision
from lmsdk.trainer.stage import StepContext
from lmsdk.trainer.stages import make_stage, read_config
from lmsdk.trainer.step import FramePair, augment
from lmsdk.viz import write_image

logger = logging.getLogger(__name__)

AUGMENT_STREAM, BN_STREAM, DRY_STREAM = 0, 1, 2


class Run:
    """State shared by the loop: the stage and its networks, the optimizer, the data and where to write."""

    def __init__(self, config: TrainConfig, run_dir: Path, info: distributed.DistInfo, device: torch.device) -> None:
        self.precision = resolve_precision(config.precision, device)
        self.config = config = config.replace(precision=self.precision)
        self.run_dir, self.info, self.device = run_dir, info, device
        self.stage = make_stage(config)
        torch.manual_seed(config.seed)  # identical initial weights in every process
        self.nets = nets = self.stage.build(device)
        if nets.single_process and info.enabled:
            raise ConfigError(f"a {config.stage.kind} run trains in one process; start it without torchrun")
        if config.channels_last:  # in place: every network of the run
            for module in nets.modules():
                module.to(memory_format=torch.channels_last)
        trained = nets.trained
        if info.enabled:
            trained = DistributedDataParallel(trained, device_ids=[device.index] if device.type == "cuda" else None)
        self.forward = compiled(trained) if config.compile else trained  # what runs the training forward
        self.optimizer = torch.optim.Adam(nets.groups, lr=config.schedule.learning_rates[0])
        self.scaler = torch.amp.GradScaler(device.type, enabled=config.precision == "fp16")
        self.ema = WeightAverage(nets.trained, config.ema_horizon) if config.ema_horizon > 0 else None
        self.data: TrainingData = open_training_data(config.data, config.model.crop_size)
        self.source: ImageSource = self.data.reference  # what the probe, the statistics and the samples see
        if config.batch_size % info.world_size:
            raise ConfigError(f"batch size {config.batch_size} does not split across {info.world_size} processes")
        self.local_batch = config.batch_size // info.world_size
        self.data.split(self.local_batch)  # a batch too small to mix images and video is refused before any step
        self.probe = RegressionProbe.for_training(
            config.data, self.source, config.model.crop_size, config.eval_images, config.seed
        )
        self.sample_crops = images_to_tensor(self.source.images(range(min(8, len(self.source)))), device)
        self.state = TrainState()

    @property
    def checkpointed(self) -> Checkpointed:
        """What a checkpoint of this run keeps besides its progress."""
        nets = self.nets
        balance = {"began": nets.balance} if nets.balance is not None else {}
        return Checkpointed(
            nets.core,
            self.optimizer,
            self.scaler,
            self.ema,
            modules={**nets.kept, **balance},
            optimizers={name: b.optimizer for name, b in balance.items()},
        )

    @property
    def total(self) -> int:
        """Steps the schedule is planned for (the step cap until a time budget is planned)."""
        return self.state.planned_steps or self.config.steps

    def describe(self) -> str:
        cfg = self.config
        return (
            f"{cfg.stage.kind} run {self.run_dir} on {self.data.description}: crops of "
            f"{cfg.model.crop_size} px, {cfg.model.num_landmarks} landmarks, batch {cfg.batch_size}, {self.device}, "
            f"{self.precision}" + (", compiled" if cfg.compile else "")
        )

    def context(self, step: int, generator: torch.Generator) -> StepContext:
        device, precision = self.device.type, self.precision
        return StepContext(step, self.total, self.forward, generator, lambda: autocast(device, precision))

    def batch(self, step: int, stream_seed: int) -> tuple[torch.Tensor, FramePair | None]:
        """This process's crops of ``step``: its images, then the first frames of its video pairs, whose second
        frames and flows come as the :class:`FramePair` (None without pairs)."""
        data, rank, world = self.data, self.info.rank, self.info.world_size
        n_images, n_pairs = data.split(self.local_batch)
        crops = []
        if n_images:
            assert data.images is not None
            crops.append(data.images.images(batch_indices(len(data.images), n_images, step, stream_seed, rank, world)))
        if not n_pairs:
            return images_to_tensor(crops[0], self.device), None
        assert data.pairs is not None
        idx = batch_indices(data.pairs.pair_count, n_pairs, step, stream_seed, rank, world)
        a, b, forward, backward = (np.stack(x) for x in zip(*(data.pairs.pair(int(i)) for i in idx), strict=True))
        flows = [torch.from_numpy(f).permute(0, 3, 1, 2).to(self.device) for f in (forward, backward)]
        crops.append(a)
        return images_to_tensor(np.concatenate(crops), self.device), FramePair(images_to_tensor(b, self.device), *flows)

    def zero_grad(self) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        if self.nets.balance is not None:
            self.nets.balance.zero_grad(set_to_none=True)

    def step(self) -> dict[str, Any]:
        """One optimizer step at ``state.step``; returns its metrics (losses, weights, learning rate)."""
        cfg, state, nets = self.config, self.state, self.nets
        step, total = state.step, self.total
        lr = learning_rate(cfg.schedule, step, total)
        for group in self.optimizer.param_groups:
            group["lr"] = lr * group["lr_scale"]
        crops, pair = self.batch(step, cfg.seed)
        generator = step_generator(cfg.seed, step, AUGMENT_STREAM, self.info.rank)
        result = self.stage.loss(nets, crops, pair, self.context(step, generator))
        loss = float(result.total.detach())
        finite_or_raise(loss, step, cfg.precision, self.info)
        self.zero_grad()
        self.scaler.scale(result.total).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()
        if self.ema is not None:
            self.ema.update(nets.trained, step, total)
        metrics: dict[str, Any] = {"lr": lr, "loss": loss, "crop": result.crop}
        metrics.update({f"loss/{k}": float(term.detach()) for k, term in result.terms.items()})
        metrics.update(result.logged)
        if nets.balance is not None:
            metrics.update(nets.balance.step(lr))
        state.step += 1
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
        self.stage.loss(self.nets, crops, pair, self.context(step, generator)).total.backward()
        self.zero_grad()
        return time.monotonic() - start

    def refresh_batchnorm(self) -> None:
        """Exact BN statistics of the trained network from ``bn_batches`` training-graph forwards on a separate
        random stream, at the model's own resolution (nothing to do where it has no BatchNorm)."""
        cfg, step, nets = self.config, self.state.step, self.nets
        if not batchnorm_layers(nets.trained):
            return

        def forward(i: int) -> None:
            gen = step_generator(cfg.seed, step * 100_003 + i, BN_STREAM, self.info.rank)
            crops, pair = self.batch(step * 100_003 + i, cfg.seed + 1)
            second = None if pair is None else pair.crops
            batch = augment(nets.core, crops, cfg, step, self.total, gen, second, scale=1.0)
            self.stage.statistics_forward(nets, batch, self.context(step, gen))

        recompute_batchnorm_statistics(nets.trained, forward, cfg.bn_batches)
        distributed.average_buffers(nets.trained, self.info)

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
                    monitor.log(step, {"time": round(self.state.elapsed_seconds, 3), **self.probe(self.nets.core)})
                if due["sample"] and self.info.is_main:
                    self.write_sample(monitor)
        if due["checkpoint"]:
            self.save_checkpoint()
        self.nets.core.train()

    def averaged(self) -> AbstractContextManager[None]:
        """A context in which the model holds the weights it would export (the average, when there is one)."""
        return self.ema.applied(self.nets.trained) if self.ema is not None else nullcontext()

    def save_checkpoint(self) -> Path | None:
        """Write a checkpoint of this step (main process; every process checks they are in sync first)."""
        digest = distributed.check_in_sync(self.nets.core, self.info)
        if not self.info.is_main:
            return None
        path = save_checkpoint(self.run_dir, self.checkpointed, self.state, self.config.keep_checkpoints)
        logger.info("checkpoint at step %d (parameters %s)", self.state.step, digest[:12])
        return path

    def write_sample(self, monitor: Monitor) -> None:
        sheet = self.stage.sample(self.nets, self.sample_crops)
        write_image(str(RunDir(self.run_dir).sample(self.state.step)), sheet)
        monitor.image("samples", sheet, self.state.step)

    def finish(self, monitor: Monitor) -> dict[str, Any]:
        """The final checkpoint, then the exported weights (the average, if any) with exact BN statistics, the
        model folder, probe and sample sheet."""
        state, info, run = self.state, self.info, RunDir(self.run_dir)
        state.planned_steps = state.step  # what was trained is the schedule that was run
        self.save_checkpoint()
        if self.ema is not None:
            self.ema.copy_to(self.nets.trained)
        self.refresh_batchnorm()
        digest = distributed.check_in_sync(self.nets.core, info)
        final: dict[str, Any] = {
            "steps": state.step,
            "time": round(state.elapsed_seconds, 3),
            "parameters_sha256": digest,
        }
        if info.is_main:
            if info.enabled:
                logger.info("%d processes in sync: parameters %s", info.world_size, digest[:12])
            with atomic_directory(run.model) as folder:  # the model appears whole or not at all
                self.write_model(folder)
            if self.probe.active:
                final.update(self.probe(self.nets.core))
            self.write_sample(monitor)
            monitor.log(state.step, {"final": True, **final})
            atomic_write_json(run.final_metrics, final)
            logger.info(
                "finished %d steps in %.1f min; model written to %s", state.step, state.elapsed_seconds / 60, run.model
            )
        return final

    def write_model(self, folder: Path) -> None:
        """Write what the run exports into ``folder`` (``RUN_DIR/model`` being written): the landmark model, its
        statistics, and whatever the stage adds."""
        save_model(self.nets.core, folder)
        atomic_write_json(folder / STATS_FILE, self.landmark_statistics())
        self.stage.export(self.nets, folder)

    def landmark_statistics(self, images: int = 500) -> dict[str, Any]:
        """Where the landmarks sit within the crop on the training data, and how confident the detector is there.

        The tracker frames new crops with the positions and judges its detections against the confidence.
        """
        idx = spread_indices(len(self.source), images)
        points, confidence = predict_detections(self.nets.core, self.source, indices=idx)
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
    run_dir = Path(run_dir)
    config = read_config(run_dir).replace(
        device="cpu", compile=False, progress=False, **({"threads": threads} if threads else {})
    )
    run = Run(config, run_dir, distributed.DistInfo(), torch.device("cpu"))
    run.state = load_checkpoint(Path(checkpoint), run.checkpointed)
    if run.ema is not None:
        run.ema.copy_to(run.nets.trained)
    run.refresh_batchnorm()
    return run.nets.core.eval()


def finite_or_raise(loss: float, step: int, precision: str, info: distributed.DistInfo) -> None:
    """Stop every process before the weights are touched when the loss is not finite (fp16 overflows are the
    grad scaler's business: it skips the step)."""
    if distributed.any_rank(not math.isfinite(loss) and precision != "fp16", info):
        raise FloatingPointError(f"the loss became non-finite at step {step} (here {loss}); lower the learning rate")
