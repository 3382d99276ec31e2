"""Sizing a run to a wall-clock budget: users train to a time, not to a step count.

After a few calibration steps the trainer measures the time per step and plans how many steps fit in the
budget, leaving room for the periodic events (exact BN statistics, probes, samples, checkpoints) and the
final ones. The plan fixes the schedule's length (milestones are fractions of it) and is saved, so a
resumed run continues the same schedule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

CALIBRATION_STEPS = 8  # steps 2..7 are timed; steps 0-1 warm up allocators and caches
FORWARD_FRACTION = 0.4  # a no-grad forward of the training graph costs about this share of a step
EVENT_SECONDS = 2.0  # fixed cost of writing a checkpoint, sample sheet or probe result


@dataclass(frozen=True)
class Budget:
    minutes: float
    seconds_per_step: float
    bn_batches: int
    events_per_step: float  # how often events that need exact BN statistics happen

    @property
    def event_seconds(self) -> float:
        """One event: BN statistics over ``bn_batches`` forwards, plus its own work."""
        return self.bn_batches * FORWARD_FRACTION * self.seconds_per_step + EVENT_SECONDS

    def final_reserve(self) -> float:
        """Seconds to keep free for the end of the run (final BN statistics, model, probe, sample)."""
        return 2 * self.event_seconds

    def plan(self, elapsed: float, done: int, cap: int) -> int:
        """Total steps (including the ``done`` ones) that fit in the budget, at most ``cap``."""
        remaining = self.minutes * 60.0 - elapsed - self.final_reserve()
        per_step = self.seconds_per_step + self.event_seconds * self.events_per_step
        return max(done + 1, min(cap, done + math.floor(max(remaining, 0.0) / per_step)))


def events_per_step(*intervals: int) -> float:
    """Rate of periodic events given their intervals in steps (0 or less: never)."""
    return sum(1.0 / i for i in intervals if i > 0)
