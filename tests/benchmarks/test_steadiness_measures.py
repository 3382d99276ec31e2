"""The steadiness benchmark's measures and its choice of smoothing, on tracks whose answers are known."""

import math

import cv2
import numpy as np
import pytest

from benchmarks.face_motion import boxes_from_points, region_motion
from benchmarks.smoothing_selection import Trial, select
from benchmarks.steadiness_clip import frozen
from benchmarks.steadiness_measures import (
    centroid_velocity,
    jitter,
    jitter_in,
    longest_run,
    paired_ratio,
    quiet_steps,
    step_jitter,
    step_motion,
    velocity_lag,
)


def _moving(delay: float, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """A leader's and a follower's centroid tracks ``(n, 1, 2)``: the follower is the leader ``delay`` frames late."""
    t = np.arange(n, dtype=float)

    def path(s):
        return np.stack([40 * np.sin(s / 9) + 15 * np.sin(s / 3.7), 20 * np.cos(s / 5)], -1)[:, None]

    return path(t), path(t - delay)


@pytest.mark.parametrize("delay", [0.0, 1.0, 2.5])
def test_the_lag_found_is_the_delay_put_in(delay):
    leader, follower = _moving(delay)
    assert velocity_lag(centroid_velocity(follower), centroid_velocity(leader)) == pytest.approx(delay, abs=0.2)


def test_lost_frames_do_not_shift_the_lag():
    leader, follower = _moving(2.0)
    follower[50:60] = np.nan
    assert velocity_lag(centroid_velocity(follower), centroid_velocity(leader)) == pytest.approx(2.0, abs=0.2)


def test_still_steps_are_the_quiet_ones_after_quiet_ones():
    motion = np.array([5, 5, 0.1, 0.1, 0.1, 0.1, 5, 0.1, 0.1, 0.1, 0.1, 0.1, np.nan, 0.1], float) / 1000
    still = quiet_steps(motion, quantile=0.5, settle=3)
    # a quiet step counts only once the two before it were quiet too; an unknown step is never still
    assert still.tolist() == [False] * 4 + [True, True] + [False] * 3 + [True, True, True, False, False]
    assert not quiet_steps(motion * 100, quantile=1.0).any()  # everything over the cap: nothing is still
    assert longest_run(still) == (9, 12) and longest_run(np.zeros(3, bool)) == (0, 0)


def test_jitter_is_the_mean_step_in_the_given_unit():
    points = np.zeros((5, 2, 2))
    points[1:, :, 0] = np.array([1.0, 3.0, 6.0, 10.0])[:, None]  # steps of 1, 2, 3, 4 px
    assert jitter_in(points, np.array([True, False, True, False]), unit=2.0) == pytest.approx((1 + 3) / 2 / 2)


def test_the_per_step_figures_are_each_steps_motion_in_its_unit():
    square = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])  # RMS spread sqrt(2) around the centre
    moves = np.array([0.0, 1.0, 3.0, 3.0, 7.0])  # the square slides right: steps of 1, 2, 0, 4 px
    points = square[None] + np.stack([moves, np.zeros(5)], -1)[:, None]
    points[3] = np.nan  # frame 3 lost: steps 2 and 3 are not measured
    still = np.array([True, True, True, False])
    steps = step_jitter(points, still)
    assert steps[:2] == pytest.approx([1 / np.sqrt(2), 2 / np.sqrt(2)]) and np.isnan(steps[2:]).all()
    assert jitter(points, still) == pytest.approx(1.5 / np.sqrt(2))
    assert step_motion(points, still, 4.0)[:2] == pytest.approx([0.25, 0.5])


def test_a_paired_ratio_finds_a_steadier_track_and_not_a_lucky_one():
    rng = np.random.default_rng(0)
    clips = [np.abs(rng.normal(1.0, 0.5, n)) for n in (120, 80)]
    same = paired_ratio(clips, clips)
    assert same == (1.0, 1.0, 1.0)  # the same steps twice: no doubt at all
    ratio, low, high = paired_ratio([0.9 * c * rng.uniform(0.95, 1.05, len(c)) for c in clips], clips)
    # 10 % steadier on every step: beyond doubt, and narrowly so because both tracks are resampled on the same
    # steps (drawn independently, the steps' own spread would widen it to about +-0.1)
    assert ratio == pytest.approx(0.9, abs=0.01) and high < 1 and high - low < 0.02
    other = [np.abs(rng.normal(1.0, 0.5, len(c))) for c in clips]  # as steady, different noise
    ratio, low, high = paired_ratio(other, clips)
    assert low < 1 < high and high - low > 0.1  # no claim either way
    with_gaps = [np.where(rng.random(len(c)) < 0.3, np.nan, c) for c in clips]
    assert paired_ratio(with_gaps, clips)[0] == 1.0  # only the steps both measured count
    assert np.isnan(paired_ratio([np.full(5, np.nan)], [np.ones(5)])).all()


def test_the_paired_ratio_is_of_the_means_over_clips():
    """Each clip weighs the same however many steps it has (the table's mean of clips), not each step."""
    short, long = np.full(10, 4.0), np.full(90, 1.0)
    ratio = paired_ratio([short * 0.5, long], [short, long])[0]
    assert ratio == pytest.approx((2 + 1) / (4 + 1))  # pooled over steps it would be (20 + 90) / (40 + 90)


def test_longer_blocks_widen_the_interval_of_a_correlated_difference():
    """A difference that drifts slowly (an AR(1) with 0.97 from step to step) is worth few independent steps:
    single steps resampled alone understate its doubt, blocks of 30 do not."""
    rng = np.random.default_rng(1)
    drift = np.zeros(400)
    for t in range(1, 400):
        drift[t] = 0.97 * drift[t - 1] + rng.normal(0, 0.03)
    base = np.ones(400)
    widths = {}
    for block in (1, 30):
        _, low, high = paired_ratio([base + drift], [base], block=block)
        widths[block] = high - low
    assert widths[30] > 2 * widths[1]


def test_region_motion_follows_a_shifted_picture():
    noise = (np.random.default_rng(0).random((50, 50)) * 255).astype(np.uint8)
    base = cv2.GaussianBlur(cv2.resize(noise, (200, 200), interpolation=cv2.INTER_CUBIC), (0, 0), 2)
    base = cv2.normalize(base, None, 0, 255, cv2.NORM_MINMAX)  # a texture with contrast: Farneback's best case
    frames = [np.dstack([np.roll(base, 3 * i, axis=1)] * 3) for i in range(3)]  # 3 px right per frame
    eyes = np.array([[[80.0, 90.0], [120.0, 90.0], [100, 110], [85, 130], [115, 130]]] * 3)
    velocity, motion = region_motion(frames, boxes_from_points(eyes))
    assert velocity[:, 0] == pytest.approx([3.0, 3.0], abs=0.3) and abs(velocity[:, 1]).max() < 0.3
    assert motion == pytest.approx(3.0 / (3.5 * 40), rel=0.15)


def _trial(setting, clip, jitter, lag, model="m"):
    return Trial(model, clip, setting[0], setting[1], jitter, lag, 1.0, 0.5)


def test_the_pick_is_never_worse_than_raw_on_any_clip_and_lags_at_most_a_frame_more():
    steady, worse_somewhere, laggy = (1.0, 10.0), (0.3, 0.0), (0.5, 3.0)
    trials = [
        _trial(steady, "a", 0.8, 1.0),
        _trial(steady, "b", 0.9, 1.2),
        _trial(worse_somewhere, "a", 0.4, 1.0),
        _trial(worse_somewhere, "b", 1.1, 1.0),  # less steady than raw on one clip: out, however good elsewhere
        _trial(laggy, "a", 0.5, 2.0),  # 1.5 frames more lag than raw: out
        _trial(laggy, "b", 0.5, 1.0),
        _trial((2.0, 0.0), "a", math.nan, 1.0),  # no still frame on a clip: not counted
        _trial((2.0, 0.0), "b", 0.95, 0.6),
    ]
    result = select(trials)
    assert (result["pick"]["min_cutoff"], result["pick"]["beta"]) == steady
    assert select(trials, max_extra_lag=2.0)["pick"]["beta"] == 3.0  # allowed more lag, the laggy one wins
    assert select([_trial(worse_somewhere, "b", 1.1, 1.0)])["pick"] is None


def test_the_frozen_floor_holds_the_first_found_frame_where_the_track_is_found():
    points = np.arange(4 * 2 * 2, dtype=float).reshape(4, 2, 2)
    points[0] = np.nan  # lost in the first frame
    points[2, 1, 0] = np.nan  # and in the third
    held = frozen(points)
    assert np.isnan(held[0]).all() and np.isnan(held[2]).all()
    assert np.array_equal(held[1], points[1]) and np.array_equal(held[3], points[1])
    assert np.isnan(frozen(np.full((3, 2, 2), np.nan))).all()


def test_tracking_measures_a_track_against_the_settled_clip():
    """The figures steadiness.py and tracking.py take of a track: the lag behind the clip's own motion (a sub-frame
    one too), jitter in the clip's eye distances over the still steps, and the steps found at both ends."""
    from benchmarks.steadiness_clip import Clip, face_lag, five_point_jitter, steps_measured

    leader, follower = _moving(0.4)
    still = np.zeros(len(leader) - 1, bool)
    still[::3] = True
    stamps = np.arange(len(leader)) / 30
    clip = Clip("c", [], stamps, velocity=centroid_velocity(leader), still=still, eye_distance=50.0)
    assert face_lag(np.repeat(follower, 5, axis=1), clip) == pytest.approx(0.4, abs=0.15)
    five = np.zeros((len(leader), 5, 2))
    five[1::2, :, 0] += 1.0  # every step moves each point 1 px sideways
    assert five_point_jitter(five, clip) == pytest.approx(1 / 50)
    assert five_point_jitter(None, clip) is None
    five[10] = np.nan  # lost: the steps 9 and 10 are not measured
    assert steps_measured(five, still) == int(still.sum()) - int(still[9] + still[10])


def test_tracking_floor_row_is_still_and_far_from_a_face_that_moves():
    """benchmarks/tracking.py's floor: a track frozen at its first frame has no jitter and no lag to measure, and
    the agreement with MediaPipe's points (which move with the face) is what sets it apart from the track itself."""
    from benchmarks.steadiness_clip import Clip
    from benchmarks.tracker_pass import Track
    from benchmarks.tracking import floor_row, vs_mediapipe

    leader, _ = _moving(0.0)
    n = len(leader)
    still = np.zeros(n - 1, bool)
    still[::3] = True
    five = leader + np.array([[0, 0], [50, 0], [25, 30], [5, 60], [45, 60]], float)[None]  # (T, 5, 2)
    track = Track(np.zeros(n), np.zeros(n), five.copy(), five.copy(), [None] * n, np.arange(n) / 30, five.copy())

    class Mesh:  # MediaPipe's five points as the clip reports them
        def named(self, names):
            return five

    clip = Clip("c", [], np.arange(n) / 30, mesh=Mesh(), velocity=centroid_velocity(leader), still=still,
                eye_distance=50.0)  # fmt: skip
    assert vs_mediapipe(five, clip) == pytest.approx(0.0)
    assert vs_mediapipe(None, clip) is None
    floor = floor_row(track, clip, named_ok=True)
    assert floor["jitter_smoothed"] == 0.0 and floor["jitter_five_points"] == 0.0
    assert math.isnan(floor["lag_frames"])
    assert floor["vs_mediapipe"] > 0.5  # the face swings by more than an eye distance; the frozen points stay
    assert floor_row(track, clip, named_ok=False)["vs_mediapipe"] is None
