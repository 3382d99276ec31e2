"""The training loop: ``train(config, run_dir)`` reads top to bottom.

Every stage (:mod:`lmsdk.trainer.stages`) runs through it. What a run directory holds is
:mod:`lmsdk.rundir`'s; :mod:`lmsdk.trainer.run` holds the state the loop works on;
:mod:`lmsdk.trainer.budget` sizes a run to its time budget.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch

from lmsdk.fileio import atomic_write_json
from lmsdk.rundir import RunDir
from lmsdk.trainer import distributed
from lmsdk.trainer.budget import REPLAN_EVERY, BudgetPlanner
from lmsdk.trainer.checkpoints import load_latest_checkpoint
from lmsdk.trainer.config import TrainConfig
from lmsdk.trainer.control import StepTimer, StopRequest
from lmsdk.trainer.monitor import Monitor, log_to_file
from lmsdk.trainer.resume import resolve_config
from lmsdk.trainer.run import Run

logger = logging.getLogger(__name__)

# Called after every step as hook(step, metrics); returning True asks the run to stop there, as Ctrl-C does.
Hook = Callable[[int, dict[str, Any]], bool | None]
StopReason = Literal["finished", "budget", "interrupted"]


@dataclass(frozen=True)
class RunResult:
    run_dir: Path
    steps: int  # steps completed
    planned_steps: int
    stop_reason: StopReason  # finished the schedule, reached the time budget, or stopped by Ctrl-C / a hook
    final_metrics: dict[str, Any]

    @property
    def interrupted(self) -> bool:
        """Stopped before the end: a checkpoint was written; continue with ``resume=True``."""
        return self.stop_reason == "interrupted"


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity: ``taskset``, a container's cpuset), not the host's count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def train(config: TrainConfig, run_dir: str | Path, *, resume: bool = False, hooks: tuple[Hook, ...] = ()) -> RunResult:
    """Train a landmark autoencoder; write everything under ``run_dir``.

    Args:
        config: the resolved configuration (see :mod:`lmsdk.trainer.presets`).
        run_dir: output folder; must be new, empty or hold only a run that never wrote a checkpoint, unless
            ``resume``.
        resume: continue the newest good checkpoint in ``run_dir`` with the same schedule (a run that never
            wrote one starts over).
        hooks: called as ``hook(step, metrics)`` after every step; returning True stops the run like Ctrl-C.

    Returns:
        A :class:`RunResult`. Ctrl-C (or a hook) stops between steps, writes a checkpoint and returns with
        ``stop_reason="interrupted"``; a second Ctrl-C stops at once, keeping the last checkpoint.
    """
    run_dir = Path(run_dir)
    config, resume = resolve_config(config, run_dir, resume)
    info, device = distributed.setup(config.device)
    torch.set_num_threads(config.threads or max(1, usable_cpus() // info.world_size))
    try:
        run = Run(config, run_dir, info, device)  # opens the data: bad input fails before anything is written
        if info.is_main and not resume:
            atomic_write_json(RunDir(run_dir).config, config.to_dict())
        log_handler = log_to_file(run_dir, info)
        try:
            return _train(run, resume, hooks)
        finally:
            if log_handler is not None:
                logging.getLogger("lmsdk").removeHandler(log_handler)
                log_handler.close()
    finally:
        distributed.teardown(info)


def _train(run: Run, resume: bool, hooks: tuple[Hook, ...]) -> RunResult:
    config, info, state = run.config, run.info, run.state
    if resume:
        run.state = state = load_latest_checkpoint(run.run_dir, run.checkpointed)
        logger.info("resuming %s at step %d of %d", run.run_dir, state.step, run.total)
    logger.info("training %s", run.describe())
    timer = StepTimer(state.elapsed_seconds)
    planner = BudgetPlanner(config) if config.max_minutes else None
    if planner is not None:
        planner.calibrate(run.dry_step)
        if state.planned_steps is None:  # a resumed run keeps the schedule it was planned with
            state.planned_steps = planner.plan(timer.elapsed(), state.step)
            logger.info("%d steps fit in %.1f min (cap %d)", state.planned_steps, config.max_minutes, config.steps)
    monitor = Monitor(
        run.run_dir, enabled=info.is_main, total=run.total, start_step=state.step, progress=config.progress
    )
    reason: StopReason = "finished"
    with StopRequest() as stop:
        while state.step < run.total:
            if planner is not None and distributed.any_rank(planner.over_budget(timer.elapsed()), info):
                logger.info("time budget of %.1f min reached at step %d", config.max_minutes, state.step)
                reason = "budget"
                break
            t0 = time.monotonic()
            metrics = run.step()
            seconds = time.monotonic() - t0
            state.elapsed_seconds = timer.elapsed()
            metrics.update(time=round(state.elapsed_seconds, 3), images_per_s=config.batch_size / seconds)
            if planner is not None:
                planner.observe(state.step - 1, run.total, seconds)
                if state.step % REPLAN_EVERY == 0:
                    _replan(run, planner, timer)
            if state.step % config.log_every == 0 or state.step == run.total:
                monitor.log(state.step, metrics)
            monitor.update(state.step, run.total, _status(metrics))
            run.periodic_events(monitor)
            asked = [bool(hook(state.step, metrics)) for hook in hooks]
            if distributed.any_rank(stop.requested or any(asked), info):
                reason = "interrupted"
                break
    state.elapsed_seconds = timer.elapsed()
    if reason == "interrupted":
        path = run.save_checkpoint()
        logger.warning("stopped at step %d; checkpoint %s written; continue with --resume", state.step, path)
        monitor.close()
        return RunResult(run.run_dir, state.step, run.total, reason, {})
    final = run.finish(monitor)
    monitor.close()
    return RunResult(run.run_dir, state.step, state.step, reason, final)


def _replan(run: Run, planner: BudgetPlanner, timer: StepTimer) -> None:
    """Re-measure and re-plan the run's length (every process keeps the same schedule)."""
    state = run.state
    assert state.planned_steps is not None
    planned = planner.replan(timer.elapsed(), state.step, state.planned_steps)
    planned = distributed.agree_int(planned, run.info)
    if planned != state.planned_steps:
        logger.info(
            "re-planned: %d steps fit in %.1f min (was %d)", planned, run.config.max_minutes, state.planned_steps
        )
        state.planned_steps = planned


def _status(metrics: dict[str, Any]) -> str:
    """One line for the progress bar: the loss, its main terms, the speed."""
    short = {"separation": "sep", "equivariance": "eqv", "reconstruction": "rec", "points": "pts", "maps": "maps"}
    terms = "  ".join(f"{v} {metrics[f'loss/{k}']:.3g}" for k, v in short.items() if f"loss/{k}" in metrics)
    return f"loss {metrics['loss']:.3g}  {terms}  {metrics['images_per_s']:.1f} img/s"
