"""The One Euro filter (Casiez, Roussel and Vogel, CHI 2012) for landmark tracks, vectorised and scale-aware.

For each coordinate, a low-pass filter whose cutoff rises with the (filtered) speed: still points are
smoothed hard (cutoff ``min_cutoff``), fast ones follow quickly (cutoff ``min_cutoff + beta * speed``).
Following mediapipe, positions are divided by the object's scale before filtering, so a face near the
camera and one far away are smoothed alike; speeds are in object sizes per second. The sampling rate
comes from the timestamps of each call. As in mediapipe and the authors' reference code, the speed is
taken between raw samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lmsdk.errors import ConfigError
from lmsdk.runtime.inputs import as_timestamp


@dataclass(frozen=True)
class SmoothingConfig:
    """One Euro settings; tune ``min_cutoff`` for jitter with ``beta = 0``, then raise ``beta`` to cut lag.

    The defaults were chosen on real training clips (docs/steadiness.md: of 25 settings, the lowest jitter among
    those no worse than raw on any clip and model and at most one frame behind the face's motion)."""

    enabled: bool = True
    min_cutoff: float = 0.3  # Hz: the cutoff for a still object
    beta: float = 30.0  # cutoff increase per (object size / s) of speed
    d_cutoff: float = 1.0  # Hz: cutoff of the speed estimate

    def __post_init__(self) -> None:
        values = (self.min_cutoff, self.beta, self.d_cutoff)
        if not all(math.isfinite(v) for v in values) or self.min_cutoff <= 0 or self.d_cutoff <= 0 or self.beta < 0:
            raise ConfigError("One Euro settings need finite min_cutoff > 0, d_cutoff > 0 and beta >= 0")


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Filters arrays of any fixed shape (e.g. ``(K, 2)`` landmarks) sampled at increasing timestamps."""

    def __init__(self, config: SmoothingConfig = SmoothingConfig()) -> None:
        self.config = config
        self.reset()

    def reset(self) -> None:
        """Forget the past: the next sample passes through unchanged."""
        self._raw: np.ndarray | None = None  # previous raw sample
        self._smooth: np.ndarray | None = None  # previous output
        self._speed: np.ndarray | None = None  # filtered speed, object sizes per second
        self._t: float | None = None

    def __call__(self, value: np.ndarray, timestamp: float, scale: float = 1.0) -> np.ndarray:
        """Filter one sample.

        Args:
            value: the raw sample (same shape every call), e.g. ``(K, 2)`` pixels.
            timestamp: seconds; must increase from call to call.
            scale: the object's size in the units of ``value`` (e.g. its box side in pixels); speeds are
                measured in object sizes per second.

        Raises:
            InputError: the timestamp is not finite or does not increase.
        """
        value = np.asarray(value, np.float64)
        timestamp = as_timestamp(timestamp, self._t)
        if not self.config.enabled or self._t is None or self._raw is None or self._smooth is None:
            self._raw, self._smooth, self._t = value, value.copy(), timestamp
            self._speed = np.zeros_like(value)
            return value.copy()
        dt = timestamp - self._t
        speed = (value - self._raw) / (scale * dt)
        self._speed = self._speed + _alpha(self.config.d_cutoff, dt) * (speed - self._speed)
        cutoff = self.config.min_cutoff + self.config.beta * np.abs(self._speed)
        self._smooth = self._smooth + _alpha(cutoff, dt) * (value - self._smooth)
        self._raw, self._t = value, timestamp
        return self._smooth.copy()
