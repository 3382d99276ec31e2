"""Screen one change to a training recipe on MTFL: a fixed number of steps, then the paper's protocol.

    python benchmarks/screen_recipe.py NAME [--preset cpu] [--steps 1200] [--threads 1]
                                       [--overrides '{"head_lr_scale": 20, "schedule": {"warmup": 0.03}}']
                                       [--data ../shared/data/mtfl/train.txt] [--runs runs/screen]

A screening run trains a fixed number of steps (not a time budget), so two runs can share the machine, one
thread each, and still compare. ``--overrides`` is JSON: top-level :class:`~lmsdk.trainer.config.TrainConfig`
fields, and ``schedule`` / ``loss`` / ``augment`` / ``model`` objects whose fields replace the preset's.
The error (fit 8,000 / test 2,000, random split, seed 0) is printed and appended to ``RUNS/results.jsonl``.
docs/training-speed.md has the screening table these runs produced.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import time
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mtfl" / "train.txt"
PARTS = ("schedule", "loss", "augment")


def screened_config(preset: str, data: Path, steps: int, threads: int, overrides: dict):
    """The preset with ``overrides`` applied, trained for ``steps`` steps with ``threads`` threads."""
    from lmsdk.trainer.presets import configure

    overrides = dict(overrides)
    config = configure(preset, data=str(data), progress=False)
    config = config.replace(
        steps=steps, max_minutes=None, threads=threads, eval_every=400, sample_every=400, checkpoint_every=400
    )
    for part in PARTS:
        if part in overrides:
            fields = {k: tuple(v) if isinstance(v, list) else v for k, v in overrides.pop(part).items()}
            config = config.replace(**{part: dataclasses.replace(getattr(config, part), **fields)})
    if "model" in overrides:
        config = config.replace(model=config.model.replace(**overrides.pop("model")))
    return config.replace(**overrides)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="run name (its folder under --runs)")
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--overrides", type=json.loads, default={}, help="JSON object of config changes")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--runs", type=Path, default=Path("runs/screen"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not args.data.is_file():
        print(f"skipped: {args.data} not found (the MTFL dev data is not part of lmsdk)")
        return
    from lmsdk.eval.evaluate import evaluate
    from lmsdk.trainer import train

    out = args.runs / args.name
    start = time.time()
    result = train(screened_config(args.preset, args.data, args.steps, args.threads, args.overrides), out)
    r = evaluate(out, str(args.data), str(args.data), fit_count=8000, out_dir=out / "eval").result
    line = {
        "name": args.name,
        "steps": result.steps,
        "wall_min": round((time.time() - start) / 60, 1),
        "error": round(100 * r.mean_error, 2),
        "baseline": round(100 * r.baseline_error, 2),
        "overrides": args.overrides,
    }
    print(json.dumps(line))
    with (args.runs / "results.jsonl").open("a") as log:
        log.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main()
