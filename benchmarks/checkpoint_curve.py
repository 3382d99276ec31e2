"""The learning curve of one finished MTFL run, from its kept checkpoints: error against CPU-hours.

    python benchmarks/checkpoint_curve.py RUN --seconds-per-step S [--data ../shared/data/mtfl/train.txt]
                                          [--continues CURVE_JSON] [--out docs/results/faces-curve]

Each checkpoint (``lmsdk train --keep-checkpoints 0`` keeps them all) is turned into the model it would export
(exact BatchNorm statistics) and measured with the paper's protocol on the held-out split (fit on 8,000 labels,
test on the other 2,000: ``train.txt#fit`` / ``#test``, so a run trained on ``#fit`` is tested on faces it never
saw). A checkpoint is the run at that step on its way, not a run planned for that budget (its learning rate has not
decayed yet). CPU-hours are ``step * S / 3600`` with ``S`` the run's step time measured on a quiet machine (a run
paused or slowed by other work keeps its steps, not its clock). A run started from another (``lmsdk train --init``)
continues that run's curve with ``--continues`` (the first run's ``curve.json``): its steps and CPU-hours count from
the first run's last point, and the written curve holds both runs' points. Writes ``curve.json`` and ``curve.png``.
Skips (exit 0, a message) when the data is absent.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from benchmarks.quality_per_compute import DEFAULT_DATA, measure, plot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--seconds-per-step", type=float, required=True, help="quiet-machine step time of the run")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--continues", type=Path, default=None, help="curve.json of the run this one started from")
    parser.add_argument("--name", default=None, help="the model's name in the title (default: the run folder's)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/curve"))
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"skipped: {args.data} not found (the MTFL dev data is not part of lmsdk)")
        return
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    before = json.loads(args.continues.read_text()) if args.continues else None
    start = before["points"][-1] if before else {"step": 0, "minutes": 0.0}
    points = measure(args.run, args.data, args.threads, minutes=lambda step: step * args.seconds_per_step / 60)
    for p in points:
        p["run"] = str(args.run)
        p["step"] += start["step"]
        p["minutes"] = round(p["minutes"] + start["minutes"], 2)
        p["cpu_hours"] = round(p["minutes"] / 60, 3)
        print(f"step {p['step']:6d}  {p['cpu_hours']:5.2f} CPU-h  {100 * p['error']:6.2f} %")
    args.out.mkdir(parents=True, exist_ok=True)
    report = {"run": str(args.run), "seconds_per_step": args.seconds_per_step, "points": points}
    if before:
        report["continues"] = {key: before[key] for key in ("run", "seconds_per_step")}
        points = [{**p, "run": p.get("run", before["run"])} for p in before["points"]] + points
        report["points"] = points
    (args.out / "curve.json").write_text(json.dumps(report, indent=2) + "\n")
    draw(report, args.out / "curve.png", args.name or args.run.name)
    print(f"wrote {args.out / 'curve.json'} and {args.out / 'curve.png'}")


def draw(report: dict, path: Path, name: str) -> None:
    """The curve of ``report`` (a ``curve.json``) against CPU-hours, one line per run it holds (a run and the one
    that continued it), with the mean-shape baseline."""
    points = report["points"]
    curves: dict[str, list[dict]] = {}
    for p in points:
        curves.setdefault(p.get("run", report["run"]), []).append(p)
    if len(curves) > 1:  # the continuation's line starts where the first run ended
        first, *rest = curves
        for later in rest:
            curves[later] = [curves[first][-1], *curves[later]]
    title = f"{name}: MTFL, 2,000 held-out faces"
    xlabel = "training CPU-hours (2 cores, quiet machine)"
    plot(curves, points[-1]["baseline"], path, title, "cpu_hours", xlabel)


if __name__ == "__main__":
    main()
