"""lmsdk sharpen: the decoder fine-tuned against a BEGAN discriminator and the frozen detector; the run exports
like any run and resumes exactly."""

import json

import numpy as np
import pytest
import torch

from lmsdk.errors import ConfigError
from lmsdk.model import load_model
from lmsdk.trainer import train
from lmsdk.trainer.config import SharpenConfig
from lmsdk.trainer.sharpen import random_moves, sharpen_config

SMALL = {"batch_size": 4, "bn_batches": 2, "sample_every": 2, "checkpoint_every": 2}


@pytest.fixture(scope="module")
def sharp_run(tmp_path_factory, tiny_run):
    out = tmp_path_factory.mktemp("runs") / "sharp"
    train(sharpen_config(tiny_run, steps=4, **SMALL).replace(progress=False), out)
    return out


def _changed(before_run, after_run) -> set[str]:
    before, after = load_model(before_run / "model").state_dict(), load_model(after_run / "model").state_dict()
    return {name for name in before if not torch.equal(before[name], after[name])}


def test_sharpening_tunes_the_decoder_and_descriptors_and_keeps_the_detector(sharp_run, tiny_run):
    changed = _changed(tiny_run, sharp_run)
    assert {name.split(".")[0] for name in changed} == {"decoder", "encoder"}, sorted(changed)[:5]
    config = json.loads((sharp_run / "config.json").read_text())
    assert config["sharpen"]["source"] == str(tiny_run) and config["sharpen"]["began"]["width"] == 16
    lines = [json.loads(line) for line in (sharp_run / "metrics.jsonl").read_text().splitlines()]
    logged = [m for m in lines if "began/k" in m]
    assert logged and all(0 <= m["began/k"] <= 1 and m["began/convergence"] > 0 for m in logged)
    assert {"loss/reconstruction", "loss/adversarial", "loss/gradient", "loss/cycle"} <= set(logged[-1])
    assert logged[-1]["weight/reconstruction"] == SharpenConfig(source="").reconstruction  # the default is used
    assert sorted(p.name for p in (sharp_run / "samples").glob("*.png"))  # sample sheets with an edit row
    assert all((c / "extra.safetensors").is_file() for c in (sharp_run / "checkpoints").iterdir())


def test_decoder_only_sharpening_leaves_the_descriptors(tmp_path, tiny_run):
    sharpen = SharpenConfig(source="", train_descriptors=False)
    train(sharpen_config(tiny_run, steps=2, sharpen=sharpen, **SMALL).replace(progress=False), tmp_path / "dec")
    changed = _changed(tiny_run, tmp_path / "dec")
    assert changed and all(name.startswith("decoder.") for name in changed), sorted(changed)[:5]


def test_the_sharpened_run_exports_and_edits_like_any_run(sharp_run, tmp_path):
    from lmsdk.export import export_run
    from lmsdk.runtime import ShapeEditor

    export_run(sharp_run, tmp_path / "art")
    editor = ShapeEditor(tmp_path / "art")
    image = np.full((editor.size, editor.size, 3), 120, np.uint8)
    assert editor.edit(image, {0: (3.0, 0.0)}).image.shape == (editor.size, editor.size, 3)


def test_an_interrupted_sharpening_resumes_to_the_same_weights(tmp_path, tiny_run, sharp_run):
    config = sharpen_config(tiny_run, steps=4, **SMALL).replace(progress=False)
    first = train(config, tmp_path / "cut", hooks=(lambda step, metrics: step == 3,))
    assert first.interrupted and first.steps == 3
    train(config, tmp_path / "cut", resume=True)
    straight, resumed = (load_model(p / "model").state_dict() for p in (sharp_run, tmp_path / "cut"))
    for name, value in straight.items():
        assert torch.equal(value, resumed[name]), name
    k_straight = [json.loads(x).get("began/k") for x in (sharp_run / "metrics.jsonl").read_text().splitlines()]
    k_resumed = [json.loads(x).get("began/k") for x in (tmp_path / "cut" / "metrics.jsonl").read_text().splitlines()]
    assert [k for k in k_straight if k is not None] == [k for k in k_resumed if k is not None]


def test_random_moves_move_at_least_one_landmark_within_the_radius():
    points = torch.rand(64, 5, 2)
    moved = random_moves(points, 0.1, 0.3, torch.Generator().manual_seed(0))
    distance = (moved - points).norm(dim=-1)
    assert (distance > 0).any(1).all() and distance.max() <= 0.1 + 1e-6
    assert 0.2 < (distance > 0).float().mean() < 0.6  # about 0.3, plus the one forced per image


def test_sharpen_refuses_what_it_cannot_use(tmp_path):
    with pytest.raises(ConfigError, match="not a finished training run"):
        sharpen_config(tmp_path)
    with pytest.raises(ConfigError, match="not all 0"):
        SharpenConfig(source="x", reconstruction=0, adversarial=0, gradient=0, cycle=0)
    with pytest.raises(ConfigError, match="move"):
        SharpenConfig(source="x", move_chance=0)


def test_every_stage_built_on_a_sharpened_run_is_that_stage_alone(sharp_run):
    """A fine-tuning stage keeps the source's data and model but none of its stage: distilling or conditioning
    a generator on a sharpened run must not train a sharpening again (make_run picks the run kind by them)."""
    from lmsdk.trainer.config import TrainConfig
    from lmsdk.trainer.distill import distill_config
    from lmsdk.trainer.generation import generation_config

    source = TrainConfig.from_dict(json.loads((sharp_run / "config.json").read_text()))
    distil, generate = distill_config(sharp_run), generation_config(sharp_run, "tiny")
    again = sharpen_config(sharp_run)
    assert distil.distill is not None and distil.sharpen is None and distil.generation is None
    assert generate.generation is not None and generate.sharpen is None and generate.distill is None
    assert again.sharpen is not None and again.sharpen.source == str(sharp_run)
    for config in (distil, generate, again):
        assert config.init is None and config.max_minutes is None and config.ema_horizon == 0.0
        assert config.head_lr_scale == 1.0 and config.data == source.data
