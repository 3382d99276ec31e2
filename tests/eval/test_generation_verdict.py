"""The verdict between two ways of generating: higher face rate and control win, diversity and sharpness win nearer
the real crops', small differences tie, and beating means winning one figure and losing none."""

import pytest

from lmsdk.eval.generation import Figures
from lmsdk.eval.generation_verdict import TIE_SHARE, compare

REAL = Figures(face_rate=1.0, control=1.0, diversity=0.2, sharpness=1.0)


def test_higher_face_rate_and_control_win_and_nearer_real_diversity_and_sharpness_win():
    sharp_noise = Figures(face_rate=0.9, control=0.96, diversity=0.35, sharpness=1.6)  # more varied, sharper than real
    blurred_faces = Figures(face_rate=0.7, control=0.97, diversity=0.1, sharpness=0.5)
    verdict = compare(sharp_noise, blurred_faces, REAL)
    assert {f.figure: f.winner for f in verdict.figures} == {
        "face_rate": "candidate",
        "control": "tie",  # 0.01 apart: within TIE_SHARE of the real crops' 1.0
        "diversity": "baseline",  # 0.15 from the real crops' 0.2 against 0.1
        "sharpness": "baseline",  # 0.6 above the real crops' 1.0 against 0.5 below
    }
    assert not verdict.beats
    assert verdict.lines("generator", "prior")[-1] == "  generator beats prior: no (loses on diversity, sharpness)"


def test_winning_one_figure_and_tying_the_rest_beats_and_losing_one_does_not():
    base = Figures(face_rate=0.8, control=0.9, diversity=0.15, sharpness=0.6)
    better = Figures(face_rate=0.85, control=0.9, diversity=0.15 + 0.5 * TIE_SHARE * 0.2, sharpness=0.6)
    verdict = compare(better, base, REAL)
    assert [f.winner for f in verdict.figures] == ["candidate", "tie", "tie", "tie"] and verdict.beats
    assert verdict.lines("generator", "prior")[-1] == "  generator beats prior: yes"
    worse_control = Figures(face_rate=0.85, control=0.8, diversity=0.15, sharpness=0.6)
    assert not compare(worse_control, base, REAL).beats
    assert not compare(base, base, REAL).beats  # all ties: it wins none


def test_a_figure_not_measured_is_left_out_and_named():
    no_faces = Figures(face_rate=None, control=0.9, diversity=0.15, sharpness=0.6)
    better = Figures(face_rate=None, control=0.99, diversity=0.15, sharpness=0.6)
    verdict = compare(better, no_faces, Figures(None, 1.0, 0.2, 1.0))
    assert [f.winner for f in verdict.figures] == [None, "candidate", "tie", "tie"] and verdict.beats
    lines = verdict.lines("generator", "prior")
    assert lines[0].split() == ["face_rate", "not", "measured"]
    assert lines[-1].endswith("yes; not measured: face_rate")
    data = verdict.to_dict()
    assert data["candidate_beats_baseline"] is True and data["figures"][1]["candidate"] == pytest.approx(0.99)
