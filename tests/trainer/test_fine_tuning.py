"""Fine-tuning holds landmark k to the started-from model's landmark k (the identity term), and only when asked."""

import json
from contextlib import nullcontext

import pytest
import torch

from lmsdk.data import SyntheticFaces
from lmsdk.errors import CheckpointError, ConfigError
from lmsdk.model.checkpoint import load_model_config
from lmsdk.trainer import FineTuneConfig, config_from_dict, train
from lmsdk.trainer.losses import identity_loss
from lmsdk.trainer.presets import configure
from lmsdk.trainer.stage import StepContext
from lmsdk.trainer.stages.finetune import KEEP_LANDMARKS, FineTuning

SHORT = {"batch_size": 4, "bn_batches": 2, "checkpoint_every": 0, "sample_every": 0, "log_every": 1}
SHORT |= {"eval_every": 0, "eval_images": 0, "progress": False}


def test_identity_loss_is_the_scaled_squared_distance_and_trains_only_the_model():
    base = torch.rand(3, 5, 2)
    points = (base + torch.tensor([0.03, -0.04])).requires_grad_()
    base.requires_grad_()
    loss = identity_loss(points, base, 64, 80)
    # 5 landmarks each 0.05 away (a 3-4-5 triangle): 5 * 0.0025 per image, times 4 S / P = 3.2
    assert loss.item() == pytest.approx(3.2 * 5 * 0.0025, rel=1e-5)
    loss.backward()
    assert points.grad is not None and points.grad.abs().sum() > 0
    assert base.grad is None  # the source model's points are a target, never trained
    assert identity_loss(base.detach(), base.detach(), 64, 80).item() == 0.0


def test_the_weight_defaults_on_with_init_and_is_refused_without_it_or_below_zero(tiny_run):
    assert configure("tiny", init=str(tiny_run)).stage.keep_landmarks == KEEP_LANDMARKS > 0
    assert configure("tiny", init=str(tiny_run), keep_landmarks=0.0).stage.keep_landmarks == 0.0
    with pytest.raises(ConfigError, match=r"--keep-landmarks .*--init"):
        configure("tiny", keep_landmarks=5.0)
    with pytest.raises(ConfigError, match=">= 0"):
        FineTuneConfig(str(tiny_run), keep_landmarks=-1.0)


def test_fine_tuning_takes_k_and_the_crop_side_from_the_started_from_model_unless_given(tiny_run):
    """``lmsdk train --init faces`` needs no -k: the cpu preset at K = 10, 64 px takes the source's K and side."""
    source = load_model_config(tiny_run / "model")
    preset = configure("cpu").model
    assert (source.num_landmarks, source.crop_size) != (preset.num_landmarks, preset.crop_size)
    model = configure("cpu", init=str(tiny_run)).model
    assert (model.num_landmarks, model.crop_size) == (source.num_landmarks, source.crop_size)
    assert configure("cpu", init=str(tiny_run), landmarks=12).model.num_landmarks == 12
    with pytest.raises(CheckpointError, match=r"absent.*model config not found"):
        configure("cpu", init=str(tiny_run / "absent"))


def test_a_fine_tuning_config_written_before_the_term_reads_without_it(tiny_config, tiny_run):
    data = json.loads(json.dumps(tiny_config.replace(stage=FineTuneConfig(str(tiny_run))).to_dict()))
    del data["stage"]["keep_landmarks"]
    assert config_from_dict(data).stage.keep_landmarks == 0.0


def _crops(crop_size, n=8):
    faces = SyntheticFaces(crop_size, count=n, seed=7)  # faces the source run did not train on
    return torch.stack([torch.from_numpy(faces.image(i)).permute(2, 0, 1).float() / 255 for i in range(n)])


def test_the_identity_term_is_zero_at_the_source_and_its_gradient_leads_drifted_weights_back(tiny_config, tiny_run):
    config = tiny_config.replace(**SHORT, steps=10, stage=FineTuneConfig(str(tiny_run), keep_landmarks=1.0))
    stage = FineTuning(config)
    nets = stage.build(torch.device("cpu"))
    source = nets.kept["source"]
    assert not any(p.requires_grad for p in source.parameters())
    crops = _crops(config.model.crop_size)

    def identity():
        at = StepContext(0, 10, nets.trained, torch.Generator().manual_seed(0), nullcontext)
        return stage.loss(nets, crops, None, at).terms["identity"]

    assert identity().item() == 0.0  # the same weights on the same batch: the same points
    start = [p.detach().clone() for p in nets.core.detector.parameters()]
    torch.manual_seed(0)
    with torch.no_grad():
        for p in nets.core.detector.parameters():
            p.add_(0.02 * p.abs().mean() * torch.randn_like(p))
    nets.core.zero_grad()
    drifted = identity()
    assert drifted.item() > 0
    drifted.backward()
    pairs = list(zip(nets.core.detector.parameters(), start, strict=True))
    # descent (-grad) points from the drifted weights back towards the source's: grad . (drifted - source) > 0
    assert sum(float((p.grad * (p.detach() - p0)).sum()) for p, p0 in pairs if p.grad is not None) > 0
    assert all(p.grad is None for p in source.parameters())  # the source never trains


def test_a_fine_tuning_run_logs_the_term_only_when_weighted_from_zero_at_its_first_step(
    tmp_path, tiny_config, tiny_run
):
    for keep, name in ((0.0, "free"), (1e4, "held")):
        train(
            tiny_config.replace(**SHORT, steps=3, stage=FineTuneConfig(str(tiny_run), keep_landmarks=keep)),
            tmp_path / name,
        )
    logged = {}
    for name in ("free", "held"):
        rows = [json.loads(line) for line in (tmp_path / name / "metrics.jsonl").read_text().splitlines()]
        logged[name] = [r["loss/identity"] for r in rows if "loss/identity" in r]
    assert logged["free"] == [] and len(logged["held"]) == 3
    assert logged["held"][0] == 0.0 and max(logged["held"][1:]) > 0


def test_the_cli_option_reaches_the_run_config_and_is_refused_without_init(tmp_path, tiny_run, capsys):
    from lmsdk.cli import run as cli

    out = tmp_path / "held"
    args = ["train", "--preset", "tiny", "--steps", "1", "--out", str(out), "--init", str(tiny_run)]
    assert cli([*args, "--keep-landmarks", "250"]) == 0
    assert json.loads((out / "config.json").read_text())["stage"]["keep_landmarks"] == 250.0
    assert cli(["train", "--preset", "tiny", "--out", str(tmp_path / "no-init"), "--keep-landmarks", "5"]) == 2
    assert "--keep-landmarks" in capsys.readouterr().err and not (tmp_path / "no-init").exists()
