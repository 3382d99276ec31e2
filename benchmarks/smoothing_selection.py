"""Choosing the tracker's One Euro settings on measured tracks: the steadiest setting that never makes a clip
steadier-looking by lagging, nor any clip less steady than no smoothing at all.

A *trial* is one setting tracked over one clip by one model (the tracker really re-run with it, so the crop that
follows the smoothed points is part of what is measured), with the same clip tracked raw (smoothing off) beside it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

MIN_CUTOFFS = (0.3, 0.5, 1.0, 2.0, 4.0)  # Hz
BETAS = (0.0, 1.0, 3.0, 10.0, 30.0)  # per object size per second of speed
MAX_EXTRA_LAG = 1.0  # frames a setting may add to the raw track's lag behind the face's motion


@dataclass(frozen=True)
class Trial:
    """One smoothing setting on one clip and model, against the raw track of the same clip."""

    model: str
    clip: str
    min_cutoff: float
    beta: float
    jitter: float  # still-frame jitter with the setting
    lag: float  # frames behind the face's motion with the setting
    jitter_raw: float  # the same, smoothing off
    lag_raw: float

    @property
    def ratio(self) -> float:
        """Jitter with the setting over jitter without smoothing (below 1: steadier)."""
        return self.jitter / self.jitter_raw

    @property
    def extra_lag(self) -> float:
        """Frames of lag the setting adds to the raw track's."""
        return self.lag - self.lag_raw


def summarise(trials: list[Trial]) -> list[dict[str, Any]]:
    """One row per setting: its mean and worst jitter ratio and extra lag over the measurable trials (finite figures
    and a raw track that moves at all on the still frames: a ratio over no jitter says nothing)."""
    by_setting: dict[tuple[float, float], list[Trial]] = defaultdict(list)
    for trial in trials:
        measurable = all(math.isfinite(v) for v in (trial.jitter, trial.jitter_raw, trial.lag, trial.lag_raw))
        if measurable and trial.jitter_raw > 0:
            by_setting[(trial.min_cutoff, trial.beta)].append(trial)
    rows = []
    for (min_cutoff, beta), group in sorted(by_setting.items()):
        ratios, extra = [t.ratio for t in group], [t.extra_lag for t in group]
        rows.append(
            {
                "min_cutoff": min_cutoff,
                "beta": beta,
                "trials": len(group),
                "mean_ratio": sum(ratios) / len(ratios),
                "worst_ratio": max(ratios),
                "mean_extra_lag": sum(extra) / len(extra),
                "worst_extra_lag": max(extra),
            }
        )
    return rows


def select(trials: list[Trial], max_extra_lag: float = MAX_EXTRA_LAG) -> dict[str, Any]:
    """The setting with the lowest mean jitter ratio among those that make no trial less steady than raw and add at
    most ``max_extra_lag`` frames of lag to any (ties: less lag); ``pick`` is None where no setting qualifies."""
    rows = summarise(trials)
    # only settings measured on every trial any setting was measured on: one that lost a trial is not "no worse on
    # every clip and model"
    full = max((r["trials"] for r in rows), default=0)
    allowed = [
        r for r in rows if r["trials"] == full and r["worst_ratio"] <= 1.0 and r["worst_extra_lag"] <= max_extra_lag
    ]
    pick = min(allowed, key=lambda r: (r["mean_ratio"], r["mean_extra_lag"]), default=None)
    return {
        "rule": (
            f"lowest mean still-frame jitter over raw, among settings no worse than raw on every clip and model and "
            f"at most {max_extra_lag:g} frame(s) more lag behind the face's motion than raw"
        ),
        "pick": pick,
        "settings": rows,
        "trials": [asdict(t) for t in trials],
    }
