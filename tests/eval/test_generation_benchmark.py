"""benchmarks/generation.py end to end on the tiny artifact and synthetic references, without a face detector."""

import json

import cv2
import pytest

from benchmarks.generation import main


def test_the_benchmark_measures_every_row_and_draws_the_sheet(artifact, tmp_path, capsys):
    sheet = tmp_path / "sheet.png"
    args = ["--data", "synthetic", "--references", "6", "--n", "2", "--no-faces", "--sheet", str(sheet)]
    assert main([str(artifact), *args, "--sheet-references", "2", "--sheet-n", "3", "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "generation.json").read_text())
    rows = report["rows"]
    assert list(rows) == ["generated (prior)", "reconstructions", "real crops", "blurred crops", "flat crops"]
    assert all(row["face_rate"] is None for row in rows.values()) and report["face_detector"] is None
    assert rows["real crops"]["control"] == 1.0 and rows["real crops"]["sharpness"] == 1.0
    assert rows["flat crops"]["sharpness"] == 0.0 and rows["reconstructions"]["diversity"] is None
    assert 0 <= rows["generated (prior)"]["control"] <= 1 and rows["generated (prior)"]["diversity"] > 0
    assert "generated (prior)" in capsys.readouterr().out
    assert cv2.imread(str(sheet)).shape[:2] == (2 * (2 * 48 + 2) + 2, 4 * (2 * 48 + 2) + 2)  # 2 rows of 1 + 3


def test_an_artifact_with_nothing_to_draw_with_is_refused(priorless_artifact, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([str(priorless_artifact), "--data", "synthetic", "--out", str(tmp_path)])
    assert exit_info.value.code == 2 and "neither a prior nor a generator" in capsys.readouterr().err


def test_a_generator_runs_artifact_sets_began_against_the_prior_it_started_from(
    prior_generator_artifact, tmp_path, capsys
):
    args = ["--data", "synthetic", "--references", "4", "--n", "2", "--no-faces", "--out", str(tmp_path)]
    assert main([str(prior_generator_artifact), *args]) == 0
    report = json.loads((tmp_path / "generation.json").read_text())
    assert list(report["rows"])[:2] == ["generated (prior)", "generated (generator)"]
    assert report["generator"]["architecture"] == "prior-decoder"
    verdict = report["generator_vs_prior"]
    assert (verdict["candidate"], verdict["baseline"]) == ("generator", "prior")
    figures = {f["figure"]: f for f in verdict["figures"]}
    assert figures["face_rate"]["winner"] is None  # no face detector here
    for name in ("control", "diversity", "sharpness"):
        assert figures[name]["candidate"] == report["rows"]["generated (generator)"][name]
        assert figures[name]["baseline"] == report["rows"]["generated (prior)"][name]
        assert figures[name]["real"] == report["rows"]["real crops"][name]
        assert figures[name]["winner"] in ("candidate", "baseline", "tie")
    out = capsys.readouterr().out
    assert "the generator (BEGAN from the prior) against the prior with the decoder:" in out
    assert "generator beats prior: " + ("yes" if verdict["candidate_beats_baseline"] else "no") in out
