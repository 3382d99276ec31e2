"""Step schedules as pure functions of training progress."""

from __future__ import annotations

import bisect

from lmsdk.trainer.config import AugmentConfig, ScheduleConfig


def step_value(values: tuple[float, ...], milestones: tuple[float, ...], step: int, total: int) -> float:
    """``values[i]`` where ``i`` milestones (fractions of ``total``) have been passed by ``step`` (0-based)."""
    return values[bisect.bisect_right([m * total for m in milestones], step)]


def learning_rate(schedule: ScheduleConfig, step: int, total: int) -> float:
    return step_value(schedule.learning_rates, schedule.lr_milestones, step, total)


def reconstruction_weight(schedule: ScheduleConfig, step: int, total: int) -> float:
    return step_value(schedule.reconstruction_weights, schedule.reconstruction_milestones, step, total)


def landmark_tps_probability(augment: AugmentConfig, step: int, total: int) -> float:
    """Chance of the landmark-control-point TPS: 0 before the ramp, linear along it, the ratio after."""
    start, end = (f * total for f in augment.landmark_tps_ramp)
    if augment.landmark_tps_ratio <= 0 or step <= start:
        return 0.0
    if step >= end or end <= start:
        return augment.landmark_tps_ratio
    return augment.landmark_tps_ratio * (step - start) / (end - start)


def first_change(schedule: ScheduleConfig, augment: AugmentConfig) -> float:
    """Fraction of the run before which no schedule has changed anything (1.0: nothing ever changes).

    Until then a time-budgeted run may still lengthen its plan without bending any schedule already run.
    """
    fractions = [*schedule.lr_milestones, *schedule.reconstruction_milestones]
    if augment.landmark_tps_ratio > 0:
        fractions.append(augment.landmark_tps_ramp[0])
    return min(fractions, default=1.0)
