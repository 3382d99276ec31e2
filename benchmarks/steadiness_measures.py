"""How steady a landmark track is, and how far it trails the motion: the measures benchmarks/tracking.py and
benchmarks/steadiness.py share, as pure functions of recorded tracks (numpy only).

Tracks are ``(T, K, 2)`` float pixels of the frames (NaN where the object was lost); a *step* is the move from
frame t to frame t + 1, so per-step arrays have T - 1 entries.
"""

from __future__ import annotations

import numpy as np

from lmsdk.geometry import Box
from lmsdk.runtime.filters import OneEuroFilter, SmoothingConfig


def jitter(points: np.ndarray, still: np.ndarray) -> float:
    """Mean per-frame landmark motion over the still steps, in units of the landmarks' RMS spread.

    Args:
        points: ``(T, K, 2)`` a track.
        still: ``(T - 1,)`` bool, the steps to measure.
    """
    return _mean(step_jitter(points, still))


def step_jitter(points: np.ndarray, still: np.ndarray) -> np.ndarray:
    """``(T - 1,)`` each still step's landmark motion over the landmarks' RMS spread (NaN off the still steps and
    where the track is lost): what :func:`jitter` averages."""
    found = np.isfinite(points).all((1, 2))  # a tracker finds all of a frame's points or none
    spread = np.full(len(points), np.nan)
    centred = points[found] - points[found].mean(1, keepdims=True)
    spread[found] = np.sqrt(np.sum(centred**2, -1).mean(1))
    return step_motion(points, still, spread[1:])


def jitter_in(points: np.ndarray, still: np.ndarray, unit: float | np.ndarray) -> float:
    """Mean per-frame motion of the points over the still steps, in units of ``unit`` pixels: one figure for the
    clip (e.g. the face's inter-ocular distance, the same yardstick for every tracker of a clip) or ``(T - 1,)``,
    one per step."""
    return _mean(step_motion(points, still, unit))


def step_motion(points: np.ndarray, still: np.ndarray, unit: float | np.ndarray) -> np.ndarray:
    """``(T - 1,)`` each still step's mean point motion in units of ``unit`` pixels; NaN off the still steps and
    where either frame is lost."""
    step = np.linalg.norm(np.diff(points, axis=0), axis=-1).mean(-1) / unit
    return np.where(still & np.isfinite(step), step, np.nan)


def _mean(values: np.ndarray) -> float:
    ok = np.isfinite(values)
    return float(values[ok].mean()) if ok.any() else float("nan")


def paired_ratio(
    first: list[np.ndarray], second: list[np.ndarray], block: int = 10, draws: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """How steady one track is against another on the same steps: the ratio of their jitters, and its 95 %
    interval from a paired circular block bootstrap.

    Args:
        first, second: per clip, ``(T_c - 1,)`` per-step figures of the two tracks (:func:`step_jitter` or
            :func:`step_motion`) on the same frames; a step counts where both are finite.
        block: that many consecutive counted steps resampled together (neighbouring steps of a track are
            correlated, a smoothed one's strongly). The counted steps are taken in order, so a block can join the
            end of one still stretch to the start of the next, and wraps from a clip's end to its start; a clip
            with at most ``block`` counted steps is only ever rotated, so it adds no spread.
        draws: bootstrap resamples.

    Returns:
        ``(ratio, low, high)``: ``mean over clips of first's clip mean / mean over clips of second's clip mean`` (the
        table's means over clips, on the steps both measured), and the 2.5 and 97.5 percentiles of that ratio when
        every clip's steps are resampled in blocks, the same steps for both tracks. ``high`` below 1: ``first`` is
        steadier beyond what the choice of steps explains (not beyond what another training seed would change).
        NaN where no clip has a step both measured.
    """
    pairs = []
    for a, b in zip(first, second, strict=True):
        ok = np.isfinite(a) & np.isfinite(b)
        if ok.any():
            pairs.append((a[ok], b[ok]))
    if not pairs:
        return float("nan"), float("nan"), float("nan")

    def ratio(index: list[np.ndarray]) -> float:
        firsts = [a[i].mean() for (a, _), i in zip(pairs, index, strict=True)]
        seconds = [b[i].mean() for (_, b), i in zip(pairs, index, strict=True)]
        return float(np.mean(firsts) / np.mean(seconds))

    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(draws):
        index = []
        for a, _ in pairs:
            n, size = len(a), min(block, len(a))
            starts = rng.integers(0, n, size=-(-n // size))  # circular blocks: every step as likely as any other
            index.append(((starts[:, None] + np.arange(size)) % n).ravel()[:n])
        samples.append(ratio(index))
    low, high = np.percentile(samples, [2.5, 97.5])
    return ratio([np.arange(len(a)) for a, _ in pairs]), float(low), float(high)


def velocity_lag(follower: np.ndarray, leader: np.ndarray, max_lag: int = 12, max_lead: int = 3) -> float:
    """The delay (frames) that best aligns two velocity series ``(T - 1, 2)``: the follower's velocity at t + lag
    against the leader's at t, by normalised cross-correlation over lags ``-max_lead .. max_lag``, to a fraction of
    a frame by a parabola through the peak. NaN rows are left out without shifting the others."""
    ok = np.isfinite(follower).all(1) & np.isfinite(leader).all(1)
    a, b = np.where(ok[:, None], follower, 0.0), np.where(ok[:, None], leader, 0.0)
    lags = np.arange(-max_lead, max_lag + 1)
    scores = np.full(len(lags), -np.inf)
    for i, lag in enumerate(lags):
        x, y = (a[lag:], b[: len(b) - lag]) if lag >= 0 else (a[: len(a) + lag], b[-lag:])
        norm = np.sqrt(np.sum(x * x) * np.sum(y * y))
        if norm > 0:
            scores[i] = np.sum(x * y) / norm
    if not np.isfinite(scores).any():
        return float("nan")
    best = int(np.argmax(scores))
    if 0 < best < len(lags) - 1 and np.isfinite(scores[best - 1 : best + 2]).all():
        left, mid, right = scores[best - 1 : best + 2]
        curvature = left - 2 * mid + right
        if curvature < 0:
            return float(lags[best] + 0.5 * (left - right) / curvature)
    return float(lags[best])


def centroid_velocity(points: np.ndarray) -> np.ndarray:
    """``(T - 1, 2)`` the per-step motion of a track's centroid (NaN where either frame is lost)."""
    found = np.isfinite(points).all((1, 2))
    centre = np.full((len(points), 2), np.nan)
    centre[found] = points[found].mean(1)
    return np.diff(centre, axis=0)


def resmooth(raw: np.ndarray, boxes: list[Box | None], stamps: np.ndarray, config: SmoothingConfig) -> np.ndarray:
    """A raw track ``(T, K, 2)`` smoothed again with ``config`` as the tracker smooths (the frames' timestamps,
    the box width as the scale; the filter restarts after a lost frame)."""
    one_euro = OneEuroFilter(config)
    out = np.full_like(raw, np.nan)
    for i, (points, box) in enumerate(zip(raw, boxes, strict=True)):
        if box is None or not np.isfinite(points).all():
            one_euro.reset()
            continue
        out[i] = one_euro(points, float(stamps[i]), scale=box.width)
    return out


def quiet_steps(motion: np.ndarray, quantile: float = 0.25, cap: float = 0.004, settle: int = 3) -> np.ndarray:
    """``(T - 1,)`` bool: the still steps of a clip, chosen from the face's own motion, not from any tracker.

    A step is still when the face region moved little over it and over the ``settle - 1`` steps before it (a
    smoothed track has then caught up with any motion before: what moves there is jitter, not lag): the largest
    motion of those steps is at most the clip's ``quantile`` of that figure, and at most ``cap``.

    Args:
        motion: ``(T - 1,)`` the face region's motion per step (e.g. :func:`region_motion`'s magnitude over the
            region's side; NaN: unknown, never still).
    """
    window = np.full(len(motion), np.nan)
    for t in range(settle - 1, len(motion)):
        window[t] = np.max(motion[t - settle + 1 : t + 1])
    valid = np.isfinite(window)
    if not valid.any():
        return valid
    limit = min(float(np.quantile(window[valid], quantile)), cap)
    return valid & (window <= limit)


def longest_run(mask: np.ndarray) -> tuple[int, int]:
    """``(start, stop)`` of the longest run of True in a bool array (``(0, 0)`` when there is none)."""
    best, start = (0, 0), None
    for i, value in enumerate([*mask.tolist(), False]):
        if value and start is None:
            start = i
        elif not value and start is not None:
            if i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    return best
