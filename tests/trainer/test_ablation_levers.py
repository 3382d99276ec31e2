"""The ablation of benchmarks/quality_per_compute.py flips each lever of the budget recipe, and only that lever."""

from __future__ import annotations

import dataclasses

import pytest

from benchmarks.quality_per_compute import LEVERS, Plan, planned_minutes, recipe_plan
from lmsdk.trainer.presets import configure


def _differences(a: object, b: object, prefix: str = "") -> set[str]:
    """Dotted names of the dataclass fields that differ between ``a`` and ``b``."""
    if not dataclasses.is_dataclass(a):
        return set() if a == b else {prefix.rstrip(".")}
    out: set[str] = set()
    for field in dataclasses.fields(a):
        out |= _differences(getattr(a, field.name), getattr(b, field.name), f"{prefix}{field.name}.")
    return out


FIELDS = {
    "bf16": {"precision"},
    "compile": {"compile"},
    "channels_last": {"channels_last"},
    "score_scale_lr": {"head_lr_scale"},
    "curriculum": {"schedule.crop_scales", "schedule.crop_scale_milestones"},
    "cosine": {"schedule.warmup", "schedule.lr_decay", "schedule.learning_rates", "schedule.lr_milestones"},
    "ema": {"ema_horizon"},
}


@pytest.mark.parametrize("preset", ["cpu", "celeba-k10"])
@pytest.mark.parametrize("name", sorted(LEVERS))
def test_each_lever_flips_itself_and_nothing_else(preset: str, name: str) -> None:
    lever = LEVERS[name]
    base = configure(preset, data="synthetic-faces", max_minutes=15)
    change, flipped = lever.flipped(base)
    assert change == ("without" if lever.used(base) else "with")
    assert lever.used(flipped) != lever.used(base)
    assert _differences(base, flipped) <= FIELDS[name] and _differences(base, flipped)
    assert lever.flipped(flipped)[0] != change


def test_the_cpu_recipe_is_ablated_and_screened() -> None:
    """Which levers the cpu recipe uses (switched off by --ablate) and which it leaves off (switched on)."""
    base = configure("cpu", data="synthetic-faces", max_minutes=15)
    used = {name for name, lever in LEVERS.items() if lever.used(base)}
    assert used == {"bf16", "compile", "channels_last", "score_scale_lr"}


def test_levers_that_change_no_work_train_the_recipes_planned_steps() -> None:
    assert {name for name, lever in LEVERS.items() if not lever.costs_time} == {"score_scale_lr", "cosine", "ema"}
    base = configure("cpu", data="synthetic-faces", max_minutes=60)
    recorded = {"planned": True, "steps": 5808, "seconds": {"1.0": 0.549}, "minutes": 60.0}
    assert recipe_plan(recorded, base) == Plan(5808, {1.0: 0.549})
    assert Plan.from_result(Plan(7, {0.5: 0.1, 1.0: 0.4}).to_dict()) == Plan(7, {0.5: 0.1, 1.0: 0.4})
    # A recipe measured before plans were recorded: its single-scale steps all cost the same.
    old = recipe_plan({"planned": True, "steps": 5808, "minutes": 60.0}, base)
    assert old.steps == 5808 and planned_minutes(base, old.seconds, 2904, old.steps) == pytest.approx(30.0)
    curriculum = LEVERS["curriculum"].on(base)
    with pytest.raises(ValueError, match="no recorded plan"):
        recipe_plan({"planned": True, "steps": 10}, curriculum)
