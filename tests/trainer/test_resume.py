"""Runs resume exactly where they stopped, and every file a run writes is where it should be."""

import dataclasses
import json
import shutil

import pytest
import torch

from lmsdk.errors import CheckpointError, ConfigError
from lmsdk.model import load_model
from lmsdk.trainer import train


def _losses(run_dir):
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return {r["step"]: r["loss"] for r in rows if "loss" in r}


@pytest.fixture
def short(tiny_config):
    return tiny_config.replace(steps=8, checkpoint_every=4, sample_every=0, eval_every=0, bn_batches=2, log_every=1)


def _budget_recipe(config):
    """The levers of the budget recipe: warm-up + cosine, a resolution curriculum, EMA, score-scale LR, bf16."""
    schedule = dataclasses.replace(
        config.schedule,
        warmup=0.2,
        lr_decay="cosine",
        learning_rates=(2e-3, 2e-5),
        lr_milestones=(),
        crop_scales=(0.7, 1.0),
        crop_scale_milestones=(0.5,),
    )
    return config.replace(schedule=schedule, ema_horizon=0.3, head_lr_scale=20.0, precision="bf16")


@pytest.mark.parametrize("recipe", ["paper", "budget"])
def test_resume_equals_uninterrupted_training(tmp_path, short, recipe):
    if recipe == "budget":
        short = _budget_recipe(short)
    train(short, tmp_path / "a")

    def stop_after_five(step, metrics):
        return step == 5

    interrupted = train(short, tmp_path / "b", hooks=(stop_after_five,))
    assert interrupted.interrupted and interrupted.steps == 5
    assert (tmp_path / "b" / "checkpoints" / "step_000005").is_dir()
    assert not (tmp_path / "b" / "model").exists()
    resumed = train(short, tmp_path / "b", resume=True)
    assert resumed.steps == 8 and not resumed.interrupted

    a, b = _losses(tmp_path / "a"), _losses(tmp_path / "b")
    assert sorted(a) == sorted(b) == list(range(1, 9))
    for step in a:
        assert b[step] == pytest.approx(a[step], rel=1e-5), step
    wa, wb = load_model(tmp_path / "a" / "model").state_dict(), load_model(tmp_path / "b" / "model").state_dict()
    for k in wa:
        assert torch.allclose(wa[k], wb[k], rtol=1e-4, atol=1e-6), k


def test_a_run_writes_its_artifacts(tiny_run):
    config = json.loads((tiny_run / "config.json").read_text())
    assert config["model"]["num_landmarks"] == 8
    assert (tiny_run / "model" / "model.safetensors").is_file()
    assert sorted(p.name for p in (tiny_run / "samples").glob("*.png")) == ["step_000006.png", "step_000012.png"]
    assert list((tiny_run / "tensorboard").glob("events.out.tfevents.*"))
    rows = [json.loads(line) for line in (tiny_run / "metrics.jsonl").read_text().splitlines()]
    assert any("probe/error" in r for r in rows) and rows[-1]["final"]
    final = json.loads((tiny_run / "final_metrics.json").read_text())
    assert final["steps"] == 12 and 0 < final["probe/error"] < 1


def test_refuses_to_overwrite_a_run_or_resume_nothing(tmp_path, short, tiny_run):
    with pytest.raises(ConfigError, match="already holds a run"):
        train(short, tiny_run)
    with pytest.raises(CheckpointError, match="no run to resume"):
        train(short, tmp_path / "empty", resume=True)


def test_a_run_that_never_wrote_a_checkpoint_can_be_retried_or_resumed(tmp_path, short):
    config = short.replace(checkpoint_every=0)
    stopped = train(config, tmp_path / "r", hooks=(lambda step, metrics: step == 3,))
    assert stopped.interrupted  # a stop writes a checkpoint; remove it to stand for a kill before the first one
    for folder in (tmp_path / "r" / "checkpoints").iterdir():
        shutil.rmtree(folder)
    assert train(config, tmp_path / "r", resume=True).steps == 8  # starts over instead of refusing
    shutil.rmtree(tmp_path / "r" / "checkpoints")
    shutil.rmtree(tmp_path / "r" / "model")
    assert train(config, tmp_path / "r").steps == 8  # a plain retry takes the directory over


def test_a_damaged_newest_checkpoint_falls_back_to_the_one_before(tmp_path, short, caplog):
    train(short, tmp_path / "r", hooks=(lambda step, metrics: step == 6,))  # checkpoints at steps 4 and 6
    newest = tmp_path / "r" / "checkpoints" / "step_000006" / "model.safetensors"
    newest.write_bytes(newest.read_bytes()[:100])
    resumed = train(short, tmp_path / "r", resume=True)
    assert resumed.steps == 8 and "falling back" in caplog.text
    rows = [json.loads(line) for line in (tmp_path / "r" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if "loss" in r] == list(range(1, 9))  # steps 5-6 ran again, once each


@pytest.mark.parametrize("file", ["model.safetensors", "optimizer.safetensors"])
def test_a_newest_checkpoint_holding_nan_falls_back_to_the_one_before(tmp_path, short, caplog, file):
    """A diverged run's last checkpoint loads without complaint but would resume into NaN."""
    from safetensors.torch import load_file, save_file

    train(short, tmp_path / "r", hooks=(lambda step, metrics: step == 6,))  # checkpoints at steps 4 and 6
    path = tmp_path / "r" / "checkpoints" / "step_000006" / file
    state = load_file(path)
    name = next(k for k, v in state.items() if v.is_floating_point() and v.numel() > 1)
    state[name] = torch.full_like(state[name], float("nan"))
    save_file(state, path)
    resumed = train(short, tmp_path / "r", resume=True)
    assert resumed.steps == 8 and f"{file}: {name} holds NaN" in caplog.text and "falling back" in caplog.text


def test_resume_refuses_a_changed_config(tmp_path, short):
    def stop(step, metrics):
        return step == 2

    train(short, tmp_path / "r", hooks=(stop,))
    with pytest.raises(ConfigError, match="steps"):
        train(short.replace(steps=20), tmp_path / "r", resume=True)


def test_bad_data_fails_before_writing_anything(tmp_path, short):
    from lmsdk.data import DataConfig
    from lmsdk.errors import DataError

    with pytest.raises(DataError):
        train(short.replace(data=DataConfig(source=str(tmp_path / "nothing"))), tmp_path / "run")
    assert not (tmp_path / "run" / "config.json").exists()
