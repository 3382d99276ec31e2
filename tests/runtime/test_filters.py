import numpy as np
import pytest

from lmsdk.runtime import OneEuroFilter, SmoothingConfig


def _signal(velocity: float, n: int = 300, noise: float = 1.5, fps: float = 30.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / fps
    truth = np.stack([100 + velocity * t, 50 + 0 * t], -1)[:, None, :]  # (n, 1, 2)
    return t, truth, truth + rng.normal(0, noise, truth.shape)


def _run(config: SmoothingConfig, t, noisy, scale=100.0):
    f = OneEuroFilter(config)
    return np.stack([f(x, ti, scale) for x, ti in zip(noisy, t, strict=True)])


def test_smoothing_cuts_jitter_on_a_still_point():
    t, _, noisy = _signal(0.0)
    out = _run(SmoothingConfig(), t, noisy)
    raw_jitter = np.abs(np.diff(noisy, axis=0)).mean()
    smooth_jitter = np.abs(np.diff(out, axis=0)).mean()
    assert smooth_jitter < raw_jitter / 4


def test_lag_on_a_moving_point_stays_small():
    t, truth, noisy = _signal(200.0)  # 200 px/s: 2 object sizes per second at scale 100
    out = _run(SmoothingConfig(), t, noisy)
    lag = np.abs(out[30:] - truth[30:]).mean()
    assert lag < 4.0  # pixels; a plain 1 Hz low-pass trails by about 30 px here


def test_disabled_filter_passes_values_through():
    t, _, noisy = _signal(50.0)
    out = _run(SmoothingConfig(enabled=False), t, noisy)
    assert np.array_equal(out, noisy)


def test_timestamps_must_increase_and_reset_forgets():
    f = OneEuroFilter()
    f(np.zeros(2), 1.0)
    with pytest.raises(ValueError, match="increase"):
        f(np.ones(2), 1.0)
    with pytest.raises(ValueError, match="increase"):
        f(np.ones(2), 0.5)
    f.reset()
    assert np.array_equal(f(np.ones(2), 0.2), np.ones(2))  # first sample after reset passes through


def test_behaviour_is_scale_invariant():
    t, _, noisy = _signal(150.0)
    small = _run(SmoothingConfig(), t, noisy, scale=100.0)
    big = _run(SmoothingConfig(), t, noisy * 3, scale=300.0)
    assert np.allclose(big, small * 3, rtol=1e-9, atol=1e-9)
