"""lmsdk train-generator: the cyclic loss, a tiny run that trains, logs BEGAN's k and convergence, writes its
samples and model (resuming: tests/trainer/test_stages.py)."""

import json

import pytest
import torch

from lmsdk.errors import ConfigError
from lmsdk.model.generator_io import has_generator, load_generator
from lmsdk.trainer import GenerationConfig, fine_tuning_config
from lmsdk.trainer.stages.generation import cyclic_loss


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
    for row in rows:  # the generator's loss is the fakes' energy; the discriminator's, L(x) - k L(G(z))
        assert row["loss/generator"] == pytest.approx(row["began/fake_energy"], rel=1e-6)
        assert row["began/convergence"] == pytest.approx(
            row["began/real_energy"] + abs(0.5 * row["began/real_energy"] - row["began/fake_energy"]), rel=1e-9
        )
    assert sorted(p.name for p in (generator_run / "samples").iterdir()) == ["step_000002.png", "step_000004.png"]
    assert any((generator_run / "tensorboard").iterdir())
    model = generator_run / "model"
    assert has_generator(model) and load_generator(model).spec.latent_dim == 8
    frozen, source = (json.loads((d / "model" / "model_config.json").read_text()) for d in (generator_run, tiny_run))
    assert frozen == source  # the landmark model travels along, as trained
    config = json.loads((generator_run / "config.json").read_text())
    assert config["stage"]["kind"] == "generate" and config["stage"]["source"] == str(tiny_run)


def test_k_follows_the_equilibrium_controller(generator_run):
    from lmsdk.model.began import update_k

    rows = [r for r in _rows(generator_run) if "loss" in r]
    config = json.loads((generator_run / "config.json").read_text())["stage"]["began"]
    k = 0.0
    for row in rows:
        real, fake = row["began/real_energy"], row["began/fake_energy"]
        assert row["loss/discriminator"] == pytest.approx(real - k * fake, rel=1e-6)  # with k before the step
        k = update_k(k, config["gamma"], config["lambda_k"], real, fake)
        assert row["began/k"] == pytest.approx(k, abs=1e-9)


def test_a_generator_run_is_not_a_source(generator_run):
    with pytest.raises(ConfigError, match="itself a generator run"):
        fine_tuning_config(GenerationConfig.preset(str(generator_run), "tiny"))


def test_an_unfinished_run_is_not_a_source(tmp_path):
    with pytest.raises(ConfigError, match="not a finished training run"):
        fine_tuning_config(GenerationConfig.preset(str(tmp_path), "tiny"))
