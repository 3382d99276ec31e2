"""lmsdk sharpen: the decoder fine-tuned against a BEGAN discriminator and the frozen detector; the run logs BEGAN,
draws an edit row in its samples and exports like any run (resuming: tests/trainer/test_stages.py)."""

import json

import cv2
import numpy as np
import pytest
import torch

from lmsdk.data import SyntheticFaces
from lmsdk.errors import ConfigError
from lmsdk.model import load_model
from lmsdk.ops.images import images_to_tensor
from lmsdk.trainer import SharpenConfig, fine_tuning_config, train
from lmsdk.trainer.samples import sample_sheet
from lmsdk.trainer.stages.sharpen import SHEET_PAD, edit_row, random_moves

SMALL = {"batch_size": 4, "bn_batches": 2, "sample_every": 2, "checkpoint_every": 2, "log_every": 1}
TILE = 128 + 2  # a sample sheet's tile and the pad below it (lmsdk.viz.tile)


@pytest.fixture(scope="module")
def sharp_run(tmp_path_factory, tiny_run):
    out = tmp_path_factory.mktemp("runs") / "sharp"
    train(fine_tuning_config(SharpenConfig(str(tiny_run)), steps=4, **SMALL).replace(progress=False), out)
    return out


def _changed(before_run, after_run) -> set[str]:
    before, after = load_model(before_run / "model").state_dict(), load_model(after_run / "model").state_dict()
    return {name for name in before if not torch.equal(before[name], after[name])}


def test_sharpening_tunes_the_decoder_and_descriptors_and_keeps_the_detector(sharp_run, tiny_run):
    changed = _changed(tiny_run, sharp_run)
    assert {name.split(".")[0] for name in changed} == {"decoder", "encoder"}, sorted(changed)[:5]
    config = json.loads((sharp_run / "config.json").read_text())
    assert config["stage"]["source"] == str(tiny_run) and config["stage"]["began"]["width"] == 16
    lines = [json.loads(line) for line in (sharp_run / "metrics.jsonl").read_text().splitlines()]
    logged = [m for m in lines if "began/k" in m]
    assert [m["step"] for m in logged] == [1, 2, 3, 4]
    assert {"loss/reconstruction", "loss/adversarial", "loss/gradient", "loss/cycle"} <= set(logged[-1])
    assert logged[-1]["weight/reconstruction"] == SharpenConfig(source="").reconstruction  # the default is used
    assert all((c / "extra.safetensors").is_file() for c in (sharp_run / "checkpoints").iterdir())


def test_k_follows_the_equilibrium_controller_at_sharpenings_gamma(sharp_run):
    from lmsdk.model.began import update_k

    began = SharpenConfig(source="").began
    k = 0.0
    for row in (json.loads(line) for line in (sharp_run / "metrics.jsonl").read_text().splitlines()):
        if "began/k" in row:
            k = update_k(k, began.gamma, began.lambda_k, row["began/real_energy"], row["began/fake_energy"])
            assert row["began/k"] == pytest.approx(k, abs=1e-12)
    assert k > 0  # gamma 1: the fakes start easier to autoencode than gamma times the reals


def test_the_sample_sheet_ends_with_the_edit_row_of_the_model(sharp_run):
    model = load_model(sharp_run / "model")
    faces = SyntheticFaces(model.config.crop_size, 8, seed=0)  # the run's data: its first eight crops sample
    crops = images_to_tensor(faces.images(range(8)))
    sheet = cv2.imread(str(sharp_run / "samples" / "step_000004.png"))[:, :, ::-1]
    assert sheet.shape[0] == 4 * TILE + SHEET_PAD  # inputs, reconstructions, maps, edits
    np.testing.assert_array_equal(sheet[3 * TILE :], edit_row(model, crops))
    # Unmoved, the edit row is the reconstruction row; moved, every tile changes.
    reconstructions = sample_sheet(model, crops)[TILE : 2 * TILE + SHEET_PAD]
    np.testing.assert_array_equal(edit_row(model, crops, move_px=0.0), reconstructions)
    edits = edit_row(model, crops)
    for i in range(8):
        tile_of = np.s_[SHEET_PAD : SHEET_PAD + 128, SHEET_PAD + i * TILE : SHEET_PAD + i * TILE + 128]
        assert np.abs(edits[tile_of].astype(int) - reconstructions[tile_of]).max() > 0, i


def test_decoder_only_sharpening_leaves_the_descriptors(tmp_path, tiny_run):
    sharpen = SharpenConfig(str(tiny_run), train_descriptors=False)
    train(fine_tuning_config(sharpen, steps=2, **SMALL).replace(progress=False), tmp_path / "dec")
    changed = _changed(tiny_run, tmp_path / "dec")
    assert changed and all(name.startswith("decoder.") for name in changed), sorted(changed)[:5]


def test_the_sharpened_run_exports_and_edits_like_any_run(sharp_run, tmp_path):
    from lmsdk.export import export_run
    from lmsdk.runtime import ShapeEditor

    export_run(sharp_run, tmp_path / "art")
    editor = ShapeEditor(tmp_path / "art")
    image = np.full((editor.size, editor.size, 3), 120, np.uint8)
    assert editor.edit(image, {0: (3.0, 0.0)}).image.shape == (editor.size, editor.size, 3)


def test_random_moves_move_at_least_one_landmark_within_the_radius():
    points = torch.rand(64, 5, 2)
    moved = random_moves(points, 0.1, 0.3, torch.Generator().manual_seed(0))
    distance = (moved - points).norm(dim=-1)
    assert (distance > 0).any(1).all() and distance.max() <= 0.1 + 1e-6
    assert 0.2 < (distance > 0).float().mean() < 0.6  # about 0.3, plus the one forced per image


def test_sharpen_refuses_what_it_cannot_use(tmp_path):
    with pytest.raises(ConfigError, match="not a finished training run"):
        fine_tuning_config(SharpenConfig(str(tmp_path)))
    with pytest.raises(ConfigError, match="not all 0"):
        SharpenConfig(source="x", reconstruction=0, adversarial=0, gradient=0, cycle=0)
    with pytest.raises(ConfigError, match="move"):
        SharpenConfig(source="x", move_chance=0)


def test_every_stage_built_on_a_sharpened_run_is_that_stage_alone(sharp_run):
    """A fine-tuning stage keeps the source's data and model but none of its stage: distilling or conditioning
    a generator on a sharpened run trains a distillation or a generator, not a sharpening again."""
    from lmsdk.trainer import DistillConfig, GenerationConfig, read_config

    source = read_config(sharp_run)
    distil = fine_tuning_config(DistillConfig(str(sharp_run)))
    generate = fine_tuning_config(GenerationConfig.preset(str(sharp_run), "tiny"))
    again = fine_tuning_config(SharpenConfig(str(sharp_run)))
    assert [c.stage.kind for c in (distil, generate, again)] == ["distill", "generate", "sharpen"]
    for config in (distil, generate, again):
        assert config.stage.source == str(sharp_run)
        assert config.max_minutes is None and config.ema_horizon == 0.0
        assert config.head_lr_scale == 1.0 and config.data == source.data
