"""What benchmarks/steadiness.py prints and writes: the table lines, the means over clips, the smoothing choice's
table and strict JSON."""

from __future__ import annotations

from typing import Any

import numpy as np

from lmsdk.runtime.filters import SmoothingConfig

DEFAULT = SmoothingConfig()  # the tracker's
HEADER = (
    f"{'model':14} {'pass':8} {'clip':20} {'found':>6} {'jitter':>8} {'jit 5pt':>8} {'lag':>5} "
    f"{'vs MP':>7} {'debiased':>8}"
)


def _fmt(value: Any, width: int, digits: int = 4) -> str:
    return f"{value:{width}.{digits}f}" if isinstance(value, float) and np.isfinite(value) else f"{'-':>{width}}"


def table_line(model: str, kind: str, clip: str, row: dict[str, Any]) -> str:
    """One row of the table (:data:`HEADER`): a model's pass (raw, smoothed, MediaPipe's own) on a clip."""
    return (
        f"{model[:14]:14} {kind:8} {clip[:20]:20} {_fmt(row['found'], 6, 3)} {_fmt(row['jitter'], 8)} "
        f"{_fmt(row.get('jitter_named'), 8)} {_fmt(row['lag_frames'], 5, 1)} {_fmt(row.get('vs_mediapipe'), 7, 3)} "
        f"{_fmt(row.get('vs_mediapipe_debiased'), 8, 3)}"
    )


def means(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The mean of each figure over clips (None where a figure is missing everywhere)."""
    out: dict[str, Any] = {}
    for key in rows[0]:
        values = [r[key] for r in rows if isinstance(r.get(key), float) and np.isfinite(r[key])]
        out[key] = float(np.mean(values)) if values else None
    return out


def _agreement(row: dict[str, Any]) -> str:
    """``0.123 (0.045)``: the distance from MediaPipe's five points and, debiased, in brackets; ``-`` without."""
    plain, debiased = row.get("vs_mediapipe"), row.get("vs_mediapipe_debiased")
    if not (isinstance(plain, float) and np.isfinite(plain)):
        return "-"
    return f"{plain:.3f} ({_fmt(debiased, 0, 3)})"


def markdown_rows(report: dict[str, Any]) -> list[str]:
    """The means over the held-out clips as the Markdown table of docs/steadiness.md: one row per model and pass
    (MediaPipe's own last), the MTFL error beside each model's rows."""
    lines = [
        "| model | pass | jitter (landmarks) | jitter, 5 points (eye dist.) | lag (frames) | vs MediaPipe "
        "(debiased, eye dist.) | MTFL error |",
        "|---|---|---|---|---|---|---|",
    ]
    errors = report.get("mtfl_error", {})
    for name, kinds in report["means"].items():
        error = errors.get(name)
        for kind, row in kinds.items():
            cells = [
                _fmt(row.get("jitter"), 0),
                _fmt(row.get("jitter_named"), 0),
                _fmt(row.get("lag_frames"), 0, 2),
                _agreement(row),
                f"{100 * error:.2f} %" if isinstance(error, float) else "-",
            ]
            lines.append(f"| {name} | {kind} | " + " | ".join(c.strip() for c in cells) + " |")
    return lines


def selection_lines(result: dict[str, Any], default: SmoothingConfig = DEFAULT) -> list[str]:
    """The smoothing choice (benchmarks/smoothing_selection.select's result) as lines: every setting, the rule and
    the pick, the tracker's default marked."""
    lines = [f"{'min_cutoff':>10} {'beta':>6} {'jitter/raw mean':>15} {'worst':>7} {'extra lag mean':>14} {'worst':>6}"]
    for r in result["settings"]:
        mark = " (default)" if (r["min_cutoff"], r["beta"]) == (default.min_cutoff, default.beta) else ""
        lines.append(
            f"{r['min_cutoff']:10g} {r['beta']:6g} {r['mean_ratio']:15.3f} {r['worst_ratio']:7.3f} "
            f"{r['mean_extra_lag']:14.2f} {r['worst_extra_lag']:6.2f}{mark}"
        )
    lines.append(f"rule: {result['rule']}")
    pick = result["pick"]
    if pick is None:
        lines.append("pick: none qualifies (keep smoothing off, or allow more lag)")
    else:
        setting = f"min_cutoff {pick['min_cutoff']:g}, beta {pick['beta']:g}"
        lines.append(f"pick: {setting} (reported only: the defaults are changed by hand)")
    return lines


def finite(value: Any) -> Any:
    """A report with numpy numbers as Python ones and NaN or infinities as None (strict JSON)."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value
