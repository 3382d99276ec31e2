"""The ablation of benchmarks/quality_per_compute.py flips each lever of the budget recipe, and only that lever."""

from __future__ import annotations

import dataclasses

import pytest

from benchmarks.quality_per_compute import LEVERS
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
