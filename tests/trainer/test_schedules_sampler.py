import dataclasses
import itertools

import numpy as np
import pytest

from lmsdk.errors import ConfigError
from lmsdk.trainer.budget import BudgetPlanner, phase_fractions
from lmsdk.trainer.config import AugmentConfig, ScheduleConfig
from lmsdk.trainer.sampler import batch_indices, step_generator
from lmsdk.trainer.schedules import first_change, landmark_tps_probability, learning_rate, reconstruction_weight


def test_released_schedule_switches_at_100k_and_200k_of_220k():
    s = ScheduleConfig()
    assert learning_rate(s, 99_999, 220_000) == 1e-3
    assert learning_rate(s, 100_000, 220_000) == 1e-4
    assert learning_rate(s, 200_000, 220_000) == 1e-5
    assert reconstruction_weight(s, 0, 220_000) == 0.1
    assert reconstruction_weight(s, 150_000, 220_000) == 1.0
    assert reconstruction_weight(s, 219_999, 220_000) == 10.0
    # Milestones are fractions: a 2,200-step run has the same shape.
    assert learning_rate(s, 1000, 2200) == 1e-4


def test_schedule_validation():
    with pytest.raises(ConfigError, match="one value more"):
        ScheduleConfig(learning_rates=(1e-3,), lr_milestones=(0.5,))
    with pytest.raises(ConfigError, match="increase"):
        ScheduleConfig(learning_rates=(1, 2, 3), lr_milestones=(0.6, 0.5))


def test_landmark_tps_ramp():
    a = AugmentConfig(landmark_tps_ratio=0.3, landmark_tps_ramp=(0.1, 0.2))
    assert landmark_tps_probability(a, 10, 100) == 0.0
    assert landmark_tps_probability(a, 15, 100) == pytest.approx(0.15)
    assert landmark_tps_probability(a, 50, 100) == 0.3
    assert landmark_tps_probability(AugmentConfig(), 50, 100) == 0.0


def test_batches_cover_each_epoch_once_and_are_deterministic():
    n, b = 10, 4
    stream = np.concatenate([batch_indices(n, b, s, seed=3) for s in range(5)])  # 2 epochs exactly
    assert sorted(stream[:10]) == list(range(10)) and sorted(stream[10:]) == list(range(10))
    assert np.array_equal(batch_indices(n, b, 2, seed=3), stream[8:12])


def test_ranks_take_disjoint_slices_of_the_global_batch():
    a = batch_indices(100, 8, 5, seed=0, rank=0, world=2)
    b = batch_indices(100, 8, 5, seed=0, rank=1, world=2)
    whole = batch_indices(100, 16, 5, seed=0)
    assert np.array_equal(np.concatenate([a, b]), whole)


def test_step_generators_depend_only_on_seed_step_stream_rank():
    import torch

    x = torch.rand(3, generator=step_generator(1, 7))
    assert torch.equal(x, torch.rand(3, generator=step_generator(1, 7)))
    assert not torch.equal(x, torch.rand(3, generator=step_generator(1, 8)))
    assert not torch.equal(x, torch.rand(3, generator=step_generator(1, 7, stream=1)))


def _planner(tiny_config, **changes):
    config = tiny_config.replace(max_minutes=10.0, steps=100_000, bn_batches=50, sample_every=100, checkpoint_every=0)
    return BudgetPlanner(config.replace(eval_every=0, **changes))


def test_budget_plans_steps_that_fit(tiny_config):
    planner = _planner(tiny_config)
    planner.seconds = {1.0: 1.0}
    # 600 s minus 8 s elapsed minus 2 final events of 22 s (50 forwards at 0.4 s + 2 s), at 1 s + 22 s / 100 per step.
    assert planner.plan(elapsed=8.0, done=8) == 8 + int((600 - 8 - 44) / 1.22)
    capped = _planner(tiny_config, steps=100)
    capped.seconds = {1.0: 1.0}
    assert capped.plan(elapsed=8.0, done=8) == 100


def test_a_resolution_curriculum_is_planned_at_the_speed_of_each_phase(tiny_config):
    schedule = dataclasses.replace(tiny_config.schedule, crop_scales=(0.5, 1.0), crop_scale_milestones=(0.25,))
    planner = _planner(tiny_config, schedule=schedule)
    assert phase_fractions(planner.config) == {0.5: 0.25, 1.0: 0.75}
    timed = []
    planner.calibrate(lambda scale: timed.append(scale) or {0.5: 0.2, 1.0: 1.0}[scale])
    assert sorted(set(timed)) == [0.5, 1.0] and planner.seconds == {0.5: 0.2, 1.0: 1.0}
    # a quarter of the steps at 0.2 s, the rest at 1 s: 0.8 s per step, plus events.
    assert planner.plan(elapsed=0.0, done=0) == int((600 - 44) / (0.8 + 0.22))


def test_first_change_is_the_earliest_schedule_event():
    schedule = ScheduleConfig(
        lr_milestones=(0.5, 0.9), reconstruction_weights=(1.0, 10.0), reconstruction_milestones=(0.3,)
    )
    assert first_change(schedule, AugmentConfig(landmark_tps_ratio=0.0)) == 0.3
    assert first_change(schedule, AugmentConfig(landmark_tps_ratio=0.3, landmark_tps_ramp=(0.05, 0.1))) == 0.05
    constant = ScheduleConfig(
        learning_rates=(1e-3,), lr_milestones=(), reconstruction_weights=(1.0,), reconstruction_milestones=()
    )
    assert first_change(constant, AugmentConfig(landmark_tps_ratio=0.0)) == 1.0


def test_a_budgeted_plan_grows_only_before_the_first_schedule_switch(tiny_config):
    planner = _planner(tiny_config, sample_every=0)
    planner.seconds = {1.0: 2.0}  # slow warm-up
    slow = planner.plan(elapsed=10.0, done=0)

    def replan(seconds, done, planned):
        for step in range(done - 50, done):
            planner.observe(step, planned, seconds)
        return planner.replan(elapsed=10.0 + done, done=done, planned=planned)

    grown = replan(1.0, 50, slow)  # the real speed, before any milestone: the plan grows
    assert grown > 1.5 * slow
    switched = int(first_change(planner.config.schedule, planner.config.augment) * grown) + 50
    assert replan(0.5, switched, grown) == grown  # faster still, but a schedule has switched: the plan holds
    assert replan(5.0, switched + 50, grown) < grown  # slower: the plan shrinks


def test_warm_up_then_cosine_decay():
    s = ScheduleConfig(learning_rates=(2e-3, 2e-5), lr_milestones=(), lr_decay="cosine", warmup=0.1)
    lrs = [learning_rate(s, step, 1000) for step in range(1000)]
    assert lrs[0] == pytest.approx(2e-3 / 101) and lrs[99] == pytest.approx(2e-3 * 100 / 101)
    assert max(lrs) == pytest.approx(2e-3) and lrs[100] == pytest.approx(2e-3)
    assert lrs[550] == pytest.approx((2e-3 + 2e-5) / 2, rel=1e-2)  # half way down the cosine
    assert lrs[-1] == pytest.approx(2e-5, rel=1e-3)
    assert all(a >= b for a, b in itertools.pairwise(lrs[100:]))  # never rises after the warm-up
    with pytest.raises(ConfigError, match="cosine"):
        ScheduleConfig(learning_rates=(1e-3, 1e-4, 1e-5), lr_decay="cosine", lr_milestones=())


def test_resolution_curriculum_phases_and_sizes(tiny_config):
    from lmsdk.trainer.schedules import crop_scale

    s = ScheduleConfig(crop_scales=(0.5, 1.0), crop_scale_milestones=(0.4,))
    assert [crop_scale(s, step, 100) for step in (0, 39, 40, 99)] == [0.5, 0.5, 1.0, 1.0]
    assert tiny_config.model.scaled_sizes(1.0) == (48, 56)
    crop, padded = tiny_config.model.scaled_sizes(0.5)
    assert crop % tiny_config.model.size_step == 0 and crop < 48 and padded > crop
    with pytest.raises(ConfigError, match=r"end at 1\.0"):
        ScheduleConfig(crop_scales=(1.0, 0.5), crop_scale_milestones=(0.5,))
