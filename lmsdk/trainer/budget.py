"""Sizing a run to a wall-clock budget: users train to a time, not to a step count.

Before the first step, a budgeted run times a few dry steps (forward and backward, no update) at every
resolution its curriculum uses, and plans how many steps fit in the budget, leaving room for the periodic
events (exact BN statistics, probes, samples, checkpoints) and the final ones. The plan fixes the
schedule's length (every schedule position is a fraction of it) and is saved, so a resumed run continues
the same schedule. While training, the planner re-measures the steps of the running phase every
``REPLAN_EVERY`` steps: a slower machine shrinks the plan (a switch already made stays made); a faster one
may lengthen it only until the first scheduled switch.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from lmsdk.trainer.config import TrainConfig
from lmsdk.trainer.schedules import crop_scale, first_change

logger = logging.getLogger(__name__)

DRY_WARMUP_STEPS = 2  # per resolution: allocator, oneDNN and (with torch.compile) compilation warm-up
DRY_TIMED_STEPS = 3  # per resolution, timed
REPLAN_EVERY = 50  # steps between re-estimates
FORWARD_FRACTION = 0.4  # a no-grad forward of the training graph costs about this share of a step
EVENT_SECONDS = 2.0  # fixed cost of writing a checkpoint, sample sheet or probe result


def events_per_step(*intervals: int) -> float:
    """Rate of periodic events given their intervals in steps (0 or less: never)."""
    return sum(1.0 / i for i in intervals if i > 0)


def phase_fractions(config: TrainConfig) -> dict[float, float]:
    """Share of the run spent at each crop scale of the resolution curriculum."""
    bounds = (0.0, *config.schedule.crop_scale_milestones, 1.0)
    shares: dict[float, float] = {}
    for scale, start, end in zip(config.schedule.crop_scales, bounds[:-1], bounds[1:], strict=True):
        shares[scale] = shares.get(scale, 0.0) + end - start
    return shares


@dataclass
class BudgetPlanner:
    """Plans and re-plans the number of steps of a run with ``config.max_minutes``.

    ``seconds`` holds the measured time of one step at each crop scale; the full-resolution time also prices
    the exact BatchNorm statistics of every event (they are computed at the model's own resolution).
    """

    config: TrainConfig
    seconds: dict[float, float] = field(default_factory=dict)
    recent: list[float] = field(default_factory=list)  # step times of the running phase
    scale: float = 1.0  # the running phase's crop scale

    @property
    def minutes(self) -> float:
        return self.config.max_minutes or 0.0

    def calibrate(self, dry_step: Callable[[float], float]) -> None:
        """Time ``dry_step(scale)`` (one forward + backward at that scale, returning its seconds) at every scale."""
        for scale in phase_fractions(self.config):
            for _ in range(DRY_WARMUP_STEPS):
                dry_step(scale)
            times = sorted(dry_step(scale) for _ in range(DRY_TIMED_STEPS))
            self.seconds[scale] = times[len(times) // 2]
        logger.info("step time %s", ", ".join(f"{s:.3f} s at {scale:g}x" for scale, s in sorted(self.seconds.items())))

    def event_seconds(self) -> float:
        """One event: BN statistics over ``bn_batches`` full-resolution forwards, plus its own work."""
        return self.config.bn_batches * FORWARD_FRACTION * self.seconds[1.0] + EVENT_SECONDS

    def final_reserve(self) -> float:
        """Seconds to keep free for the end of the run (final BN statistics, model, probe, sample)."""
        return 2 * self.event_seconds()

    def plan(self, elapsed: float, done: int) -> int:
        """Total steps (including the ``done`` ones) that fit in the budget, at most ``config.steps``.

        The steps still to run are spread over the curriculum's phases in their planned shares.
        """
        cfg = self.config
        rate = events_per_step(cfg.sample_every, cfg.checkpoint_every, cfg.eval_every)
        per_step = sum(share * self.seconds[scale] for scale, share in phase_fractions(cfg).items())
        per_step += self.event_seconds() * rate
        remaining = self.minutes * 60.0 - elapsed - self.final_reserve()
        return max(done + 1, min(cfg.steps, done + math.floor(max(remaining, 0.0) / per_step)))

    def observe(self, step: int, total: int, seconds: float) -> None:
        """Record the time of training step ``step`` (0-based) of a run planned at ``total`` steps."""
        scale = crop_scale(self.config.schedule, step, total)
        if scale != self.scale:
            self.recent.clear()  # a new phase: its own times
        self.scale = scale
        self.recent.append(seconds)
        del self.recent[:-REPLAN_EVERY]

    def replan(self, elapsed: float, done: int, planned: int) -> int:
        """The plan after ``done`` steps: re-measured from the recent steps of the running phase."""
        if len(self.recent) >= REPLAN_EVERY // 2:
            ordered = sorted(self.recent)
            self.seconds[self.scale] = ordered[len(ordered) // 2]
        new = self.plan(elapsed, done)
        before_switch = done < first_change(self.config.schedule, self.config.augment) * planned
        if new < planned or (before_switch and new > planned):
            return new
        return planned

    def over_budget(self, elapsed: float) -> bool:
        """Whether one more step would eat into the time the end of the run needs."""
        if not self.seconds:
            return False
        step = self.seconds.get(self.scale, self.seconds[1.0])
        return elapsed + step + self.final_reserve() > self.minutes * 60.0
