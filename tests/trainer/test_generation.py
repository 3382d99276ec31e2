"""lmsdk train-generator: the cyclic loss, a tiny run that trains, logs BEGAN's k and convergence, writes its
samples and model, and resumes exactly."""

import json

import pytest
import torch

from lmsdk.errors import ConfigError
from lmsdk.model.generator_io import has_generator, load_generator
from lmsdk.trainer import train
from lmsdk.trainer.generation import cyclic_loss, generation_config


def test_the_cyclic_loss_is_zero_when_the_detection_equals_the_condition():
    condition = torch.rand(4, 10, 2)
    assert cyclic_loss(condition.clone(), condition) == 0
    shifted = condition + torch.tensor([0.01, -0.02])
    assert torch.isclose(cyclic_loss(shifted, condition), torch.tensor(0.03))


def test_the_cyclic_loss_reaches_the_generated_image_through_the_frozen_detector(tiny_run):
    from lmsdk.model import load_model

    model = load_model(tiny_run / "model")
    model.requires_grad_(False)
    image = torch.rand(2, 3, 48, 48, requires_grad=True)
    with torch.no_grad():
        condition = model.detect(torch.rand(2, 3, 48, 48)).points
    cyclic_loss(model.detect(image).points, condition).backward()
    assert image.grad is not None and image.grad.abs().sum() > 0


def _rows(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def test_a_tiny_generator_run_trains_and_logs_began(generator_run, tiny_run):
    from tests.conftest import GENERATOR_STEPS

    rows = [r for r in _rows(generator_run) if "loss" in r]
    assert [r["step"] for r in rows] == list(range(1, GENERATOR_STEPS + 1))
    for row in rows:
        assert 0.0 <= row["began/k"] <= 1.0 and row["began/convergence"] > 0
        assert row["loss/cyclic"] >= 0 and row["began/real_energy"] > 0
    assert sorted(p.name for p in (generator_run / "samples").iterdir()) == ["step_000002.png", "step_000004.png"]
    assert any((generator_run / "tensorboard").iterdir())
    model = generator_run / "model"
    assert has_generator(model) and load_generator(model).spec.latent_dim == 8
    frozen, source = (json.loads((d / "model" / "model_config.json").read_text()) for d in (generator_run, tiny_run))
    assert frozen == source  # the landmark model travels along, as trained
    config = json.loads((generator_run / "config.json").read_text())
    assert config["generation"]["source"] == str(tiny_run) and config["bn_batches"] == 0


def test_k_follows_the_equilibrium_controller(generator_run):
    from lmsdk.model.began import update_k

    rows = [r for r in _rows(generator_run) if "loss" in r]
    config = json.loads((generator_run / "config.json").read_text())["generation"]["began"]
    k = 0.0
    for row in rows:
        k = update_k(k, config["gamma"], config["lambda_k"], row["began/real_energy"], row["began/fake_energy"])
        assert row["began/k"] == pytest.approx(k, abs=1e-9)


def test_a_generator_run_resumes_exactly(tmp_path, tiny_run):
    config = generation_config(tiny_run, "tiny", steps=4, batch_size=2, progress=False, checkpoint_every=2)
    config = config.replace(sample_every=0, log_every=1)
    train(config, tmp_path / "a")

    def stop_after_two(step, metrics):
        return step == 2

    assert train(config, tmp_path / "b", hooks=(stop_after_two,)).interrupted
    train(config, tmp_path / "b", resume=True)
    a, b = (load_generator(tmp_path / run / "model") for run in ("a", "b"))
    for name, tensor in a.state_dict().items():
        assert torch.allclose(tensor, b.state_dict()[name], atol=1e-6), name
    last = [[r for r in _rows(tmp_path / run) if "loss" in r][-1] for run in ("a", "b")]
    assert last[0]["began/k"] == pytest.approx(last[1]["began/k"], abs=1e-9)


def test_a_generator_run_is_not_a_source(generator_run):
    with pytest.raises(ConfigError, match="itself a generator run"):
        generation_config(generator_run, "tiny")


def test_an_unfinished_run_is_not_a_source(tmp_path):
    with pytest.raises(ConfigError, match="not a finished training run"):
        generation_config(tmp_path, "tiny")
