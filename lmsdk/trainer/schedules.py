"""Step schedules as pure functions of training progress."""

from __future__ import annotations

import bisect
import math

from lmsdk.trainer.config import AugmentConfig, ScheduleConfig


def step_value(values: tuple[float, ...], milestones: tuple[float, ...], step: int, total: int) -> float:
    """``values[i]`` where ``i`` milestones (fractions of ``total``) have been passed by ``step`` (0-based)."""
    return values[bisect.bisect_right([m * total for m in milestones], step)]


def learning_rate(schedule: ScheduleConfig, step: int, total: int) -> float:
    """The learning rate of ``step`` (0-based) in a run of ``total`` steps: linear warm-up, then the step
    schedule or a half cosine from ``learning_rates[0]`` to ``learning_rates[1]``."""
    warm = schedule.warmup * total
    if step < warm:
        return schedule.learning_rates[0] * (step + 1) / (warm + 1)
    if schedule.lr_decay == "step":
        return step_value(schedule.learning_rates, schedule.lr_milestones, step, total)
    start, end = schedule.learning_rates
    progress = min(1.0, (step - warm) / max(total - warm, 1.0))
    return end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * progress))


def crop_scale(schedule: ScheduleConfig, step: int, total: int) -> float:
    """Fraction of the crop side the resolution curriculum trains ``step`` at."""
    return step_value(schedule.crop_scales, schedule.crop_scale_milestones, step, total)


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
    """Fraction of the run before which no schedule has switched (1.0: nothing ever switches).

    Until then a time-budgeted run may still lengthen its plan without undoing a switch already made;
    the continuous parts (warm-up, cosine decay) only stretch.
    """
    fractions = [*schedule.lr_milestones, *schedule.reconstruction_milestones, *schedule.crop_scale_milestones]
    if augment.landmark_tps_ratio > 0:
        fractions.append(augment.landmark_tps_ramp[0])
    return min(fractions, default=1.0)
