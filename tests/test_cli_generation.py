"""train-generator -> export -> generate, and sharpen, through the command line, on the tiny run."""

import json

import cv2
import numpy as np

from lmsdk.cli import run
from lmsdk.data import SyntheticFaces


def test_train_export_generate(capsys, tiny_run, tmp_path):
    gen_run, art, out = tmp_path / "gen", tmp_path / "art", tmp_path / "out"
    args = ["--preset", "tiny", "--steps", "2", "--batch-size", "2", "--quiet"]
    assert run(["train-generator", str(tiny_run), "--out", str(gen_run), *args]) == 0
    assert json.loads((gen_run / "config.json").read_text())["stage"]["start_from"] == "prior"  # the default
    assert run(["export", str(gen_run), "--out", str(art)]) == 0
    assert "generator fp32: image" in capsys.readouterr().out
    reference = tmp_path / "face.png"
    cv2.imwrite(str(reference), SyntheticFaces(96, 1, seed=2).image(0)[:, :, ::-1])
    assert run(["generate", str(art), "--like", str(reference), "--n", "3", "--seed", "4", "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["generated_00.png", "generated_01.png", "generated_02.png", "grid.png"]
    first = cv2.imread(str(out / "generated_00.png"))
    assert first.shape == (48, 48, 3)
    grid = cv2.imread(str(out / "grid.png"))
    assert grid.shape[1] > 4 * 96  # the reference and three generations, enlarged 2x
    again = tmp_path / "again"
    assert run(["generate", str(art), "--like", str(reference), "--n", "1", "--seed", "4", "--out", str(again)]) == 0
    assert np.array_equal(cv2.imread(str(again / "generated_00.png")), first)  # the same seed, the same image


def test_generate_on_an_artifact_without_a_generator_draws_from_its_prior(capsys, artifact, tmp_path):
    reference = tmp_path / "face.png"
    cv2.imwrite(str(reference), SyntheticFaces(96, 1, seed=2).image(0)[:, :, ::-1])
    runs = {}
    for name, temperature in (("plain", "1"), ("typical", "0.000001")):
        args = ["--n", "2", "--seed", "3", "--temperature", temperature, "--out", str(tmp_path / name)]
        assert run(["generate", str(artifact), "--like", str(reference), "--source", "prior", *args]) == 0
        runs[name] = [cv2.imread(str(tmp_path / name / f"generated_0{i}.png")).astype(int) for i in range(2)]
    assert "wrote 2 images" in capsys.readouterr().out
    assert np.abs(runs["plain"][0] - runs["plain"][1]).max() > 1  # two draws, two faces
    assert np.abs(runs["typical"][0] - runs["typical"][1]).max() <= 1  # both at the prior's mean


def test_sharpen_flags_set_its_terms(tiny_run, tmp_path):
    out = tmp_path / "sharp"
    flags = ["--reconstruction", "3", "--adversarial", "0", "--gradient", "0.5", "--cycle", "2", "--decoder-only"]
    assert run(["sharpen", str(tiny_run), "--out", str(out), "--batch-size", "2", *flags, "--steps", "1", "-q"]) == 0
    saved = json.loads((out / "config.json").read_text())["stage"]
    terms = ("reconstruction", "adversarial", "gradient", "cycle", "train_descriptors")
    assert tuple(saved[t] for t in terms) == (3, 0, 0.5, 2, False)
    logged = json.loads((out / "metrics.jsonl").read_text().splitlines()[0])
    assert logged["loss/gradient"] > 0 and logged["loss/adversarial"] == 0
