import numpy as np
import pytest

from lmsdk.errors import ConfigError
from lmsdk.trainer.budget import Budget, events_per_step
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


def test_budget_plans_steps_that_fit():
    budget = Budget(minutes=10, seconds_per_step=1.0, bn_batches=50, events_per_step=events_per_step(100, 0))
    planned = budget.plan(elapsed=8.0, done=8, cap=100_000)
    # 600 s minus 8 s elapsed minus 2 final events of 22 s, at 1 s + 22 s / 100 per step.
    assert planned == 8 + int((600 - 8 - 44) / 1.22)
    assert budget.plan(elapsed=8.0, done=8, cap=100) == 100


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


def test_a_budgeted_plan_grows_only_before_the_first_schedule_change(tiny_config):
    from types import SimpleNamespace

    from lmsdk.trainer.control import StepTimer
    from lmsdk.trainer.distributed import DistInfo
    from lmsdk.trainer.loop import _plan

    config = tiny_config.replace(max_minutes=10.0, steps=100_000, sample_every=0, checkpoint_every=0, eval_every=0)
    run = SimpleNamespace(config=config, state=SimpleNamespace(step=10, planned_steps=None), info=DistInfo())
    timer = StepTimer(already=10.0)
    timer.step_times = [2.0] * 10  # slow warm-up steps
    _plan(run, timer)
    slow = run.state.planned_steps
    timer.step_times += [1.0] * 50  # then the real speed, before any milestone: the plan grows
    _plan(run, timer)
    grown = run.state.planned_steps
    assert grown > 1.5 * slow
    run.state.step = int(first_change(config.schedule, config.augment) * grown) + 1
    timer.step_times += [0.5] * 50  # faster still, but a schedule has changed: the plan holds
    _plan(run, timer)
    assert run.state.planned_steps == grown
    timer.step_times += [5.0] * 50  # slower: the plan shrinks
    _plan(run, timer)
    assert run.state.planned_steps < grown
