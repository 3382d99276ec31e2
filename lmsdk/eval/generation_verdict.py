"""Which of two ways of generating wins on each of the four figures, and whether one beats the other.

``lmsdk train-generator`` starts BEGAN from the prior over the codes and the run's decoder; the refined generator
earns its place only where it beats that starting point (docs/generation.md). :func:`compare` judges a
``candidate`` (the trained generator) against a ``baseline`` (the prior with the run's decoder) on figures measured
on the same references (:func:`lmsdk.eval.generation.measure`), with the real crops' figures as the target:

- **face found** and **control**: the higher wins (the real crops' are the ceiling);
- **diversity** and **sharpness**: the nearer the real crops' figure wins, from either side (images sharper or
  more varied than real faces are noise, not better faces).

A difference below :data:`TIE_SHARE` of the real crops' figure is a tie (a margin, not a significance test). The
candidate beats the baseline when it wins at least one measured figure and loses none; a figure measured for
neither (the face rate without a face detector) is left out and named.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from lmsdk.eval.generation import Figures

TIE_SHARE = 0.02  # differences below this share of the real crops' figure are ties
FIGURES = ("face_rate", "control", "diversity", "sharpness")
NEARER_REAL = ("diversity", "sharpness")  # the others: the higher wins

Winner = Literal["candidate", "baseline", "tie"]


@dataclass(frozen=True)
class FigureVerdict:
    """One figure of the two and of the real crops, and who wins it (None: not measured)."""

    figure: str
    candidate: float | None
    baseline: float | None
    real: float | None
    rule: str  # "higher" or "nearer the real crops'"
    winner: Winner | None  # None where the figure was not measured for all three


@dataclass(frozen=True)
class Verdict:
    """The figure-by-figure verdict and whether the candidate beats the baseline."""

    figures: tuple[FigureVerdict, ...]

    @property
    def measured(self) -> tuple[FigureVerdict, ...]:
        """The figures measured for all three (the candidate, the baseline and the real crops)."""
        return tuple(f for f in self.figures if f.winner is not None)

    @property
    def beats(self) -> bool:
        """The candidate wins at least one measured figure and loses none."""
        winners = [f.winner for f in self.measured]
        return "candidate" in winners and "baseline" not in winners

    def to_dict(self) -> dict[str, Any]:
        """The verdict as JSON-ready values: every figure, and whether the candidate beats the baseline."""
        return {
            "figures": [asdict(f) for f in self.figures],
            "candidate_beats_baseline": self.beats,
            "rule": f"face_rate, control: higher wins; diversity, sharpness: nearer the real crops' wins; "
            f"ties below {TIE_SHARE:g} of the real crops' figure; beats = wins one, loses none",
        }

    def lines(self, candidate: str, baseline: str) -> list[str]:
        """The verdict in words, one line per figure then the conclusion, naming the two sources."""
        names = {"candidate": candidate, "baseline": baseline, "tie": "tie"}
        out = []
        for f in self.figures:
            if f.winner is None:
                out.append(f"  {f.figure:10} not measured")
                continue
            out.append(
                f"  {f.figure:10} {candidate} {f.candidate:.3f}  {baseline} {f.baseline:.3f}  real {f.real:.3f}  "
                f"({f.rule}) -> {names[f.winner]}"
            )
        lost = [f.figure for f in self.measured if f.winner == "baseline"]
        skipped = [f.figure for f in self.figures if f.winner is None]
        verdict = "yes" if self.beats else "no" + (f" (loses on {', '.join(lost)})" if lost else " (wins none)")
        note = f"; not measured: {', '.join(skipped)}" if skipped else ""
        return [*out, f"  {candidate} beats {baseline}: {verdict}{note}"]


def compare(candidate: Figures, baseline: Figures, real: Figures) -> Verdict:
    """The verdict of ``candidate`` against ``baseline`` with ``real`` (the reference crops' figures) as the
    target (module docstring)."""
    return Verdict(tuple(_figure(name, candidate, baseline, real) for name in FIGURES))


def _figure(name: str, candidate: Figures, baseline: Figures, real: Figures) -> FigureVerdict:
    a, b, target = getattr(candidate, name), getattr(baseline, name), getattr(real, name)
    nearer = name in NEARER_REAL
    rule = "nearer the real crops'" if nearer else "higher"
    if a is None or b is None or target is None:
        return FigureVerdict(name, a, b, target, rule, None)
    score_a, score_b = (-abs(a - target), -abs(b - target)) if nearer else (a, b)
    margin = TIE_SHARE * abs(target)
    winner: Winner = "tie" if abs(score_a - score_b) <= margin else "candidate" if score_a > score_b else "baseline"
    return FigureVerdict(name, a, b, target, rule, winner)
