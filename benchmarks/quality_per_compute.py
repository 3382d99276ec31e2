"""Landmark quality per unit of compute: train a preset to a time budget on MTFL and measure the regression
error along the way, as a table and a curve; ``--ablate`` flips the recipe's levers one at a time.

    python benchmarks/quality_per_compute.py [--preset cpu] [--minutes 60] [--checkpoint-every 400]
                                             [--data ../shared/data/mtfl/train.txt] [--out runs/qpc]
                                             [--ablate [LEVER ...]] [--planned] [--threads N]
                                             [--train-threads N]

Every ``--checkpoint-every`` steps the run keeps a checkpoint; after training, each one is turned into the model
it would export (its weights, or their average when the recipe keeps one, with exact BatchNorm statistics) and
evaluated with the paper's protocol on the 8,000 / 2,000 split of ``lmsdk eval --fit-count 8000`` (random
split, seed 0). The measurements are made after the run, so they cost it none of its budget. Writes
``quality.json`` and ``quality.png`` (error against CPU-minutes) into ``--out``; with ``--ablate``, one run
per lever in ``--out/<lever>`` and ``ablation.json``: a lever the recipe uses is switched off ("without bf16"),
one it leaves off is switched on ("with ema"), so each figure is measured against the recipe at its budget.
With ``--planned``, a lever that does not change the work of a step (the head's LR, the LR schedule, the
weight average) trains the recipe's planned steps; the others are timed on their own. A run with checkpoints in
its folder but no ``quality.json`` resumes. Skips (exit 0, a message) when the data is absent.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lmsdk.rundir import RunDir
from lmsdk.trainer.config import TrainConfig

PLAN_FILE = "plan.json"  # in a planned run's folder: its steps and timed seconds per step
DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mtfl" / "train.txt"


def _schedule(config: TrainConfig, **changes: object) -> TrainConfig:
    return config.replace(schedule=dataclasses.replace(config.schedule, **changes))


@dataclass(frozen=True)
class Lever:
    """One lever of the budget recipe: whether a config uses it, and the config with it switched on or off."""

    used: Callable[[TrainConfig], bool]
    on: Callable[[TrainConfig], TrainConfig]
    off: Callable[[TrainConfig], TrainConfig]
    # Whether flipping it changes the work of a step. A planned run of a lever that does not trains the recipe's
    # planned steps: timing it again would only add timing noise (one step timed 0.531-0.569 s across runs).
    costs_time: bool = True

    def flipped(self, config: TrainConfig) -> tuple[str, TrainConfig]:
        """``("without", config without it)`` when ``config`` uses the lever, else ``("with", config with it)``:
        the ablation measures the levers the recipe uses and screens the ones it leaves off, at its budget."""
        return ("without", self.off(config)) if self.used(config) else ("with", self.on(config))


# The levers of the budget recipe. "off" is the paper's setting (or eager fp32); "on" is the setting screened.
LEVERS: dict[str, Lever] = {
    "bf16": Lever(
        lambda c: c.precision != "fp32", lambda c: c.replace(precision="auto"), lambda c: c.replace(precision="fp32")
    ),
    "compile": Lever(lambda c: c.compile, lambda c: c.replace(compile=True), lambda c: c.replace(compile=False)),
    "channels_last": Lever(
        lambda c: c.channels_last,
        lambda c: c.replace(channels_last=True),
        lambda c: c.replace(channels_last=False),
    ),
    "score_scale_lr": Lever(
        lambda c: c.head_lr_scale != 1.0,
        lambda c: c.replace(head_lr_scale=20.0),
        lambda c: c.replace(head_lr_scale=1.0),
        costs_time=False,
    ),
    "curriculum": Lever(  # half the crop side for the first 40 % of the steps
        lambda c: len(c.schedule.crop_scales) > 1,
        lambda c: _schedule(c, crop_scales=(0.5, 1.0), crop_scale_milestones=(0.4,)),
        lambda c: _schedule(c, crop_scales=(1.0,), crop_scale_milestones=()),
    ),
    "cosine": Lever(  # 3 % warm-up, then a half cosine 2e-3 -> 2e-5 (the paper: 1e-3, x0.1 at 80 %)
        lambda c: c.schedule.lr_decay == "cosine",
        lambda c: _schedule(c, warmup=0.03, lr_decay="cosine", learning_rates=(2e-3, 2e-5), lr_milestones=()),
        lambda c: _schedule(c, warmup=0.0, lr_decay="step", learning_rates=(1e-3, 1e-4), lr_milestones=(0.8,)),
        costs_time=False,
    ),
    "ema": Lever(  # export the average of the weights over the last ~10 % of the run
        lambda c: c.ema_horizon > 0,
        lambda c: c.replace(ema_horizon=0.1),
        lambda c: c.replace(ema_horizon=0.0),
        # one foreach lerp over 1.4 M parameters per step (about 1 ms of 550): timing it only added noise (the
        # same step timed 0.531 s at 15 minutes and 0.702 s at 60 on a machine believed quiet)
        costs_time=False,
    ),
}


def measure(
    run_dir: Path, data: Path, threads: int | None, minutes: Callable[[int], float] | None = None
) -> list[dict]:
    """The protocol's error at every checkpoint of ``run_dir`` (its last one is the final model), with steps and
    minutes (the run's own clock, or ``minutes(step)`` for a planned run)."""
    from lmsdk.eval.evaluate import evaluate
    from lmsdk.model.checkpoint import save_model
    from lmsdk.trainer.run import checkpoint_model

    minutes_at = {}
    for line in RunDir(run_dir).metrics.read_text().splitlines():
        row = json.loads(line)
        if "time" in row:
            minutes_at[row["step"]] = row["time"] / 60
    points = []
    for checkpoint in RunDir(run_dir).checkpoint_dirs():
        step = int(checkpoint.name.split("_")[1])
        with tempfile.TemporaryDirectory() as folder:
            save_model(checkpoint_model(run_dir, checkpoint, threads=threads), folder)
            result = evaluate(folder, str(data), str(data), fit_count=8000).result
        points.append(
            {
                "step": step,
                "minutes": round(minutes(step) if minutes else minutes_at.get(step, float("nan")), 2),
                "error": result.mean_error,
                "baseline": result.baseline_error,
            }
        )
        logging.getLogger(__name__).info("step %d: %.2f %%", step, 100 * result.mean_error)
    return points


def planned_steps(config: TrainConfig) -> tuple[int, dict[float, float]]:
    """The steps a run of ``config`` plans for its budget on this machine, as ``lmsdk train`` would (its dry
    steps timed at every resolution of the curriculum, its events priced in), and the seconds per step at each
    crop scale it measured."""
    import time

    import torch

    from lmsdk.trainer.budget import BudgetPlanner
    from lmsdk.trainer.distributed import DistInfo
    from lmsdk.trainer.run import Run

    with tempfile.TemporaryDirectory() as folder:
        start = time.monotonic()
        run = Run(config, Path(folder), DistInfo(), torch.device("cpu"))
        planner = BudgetPlanner(run.config)
        planner.calibrate(run.dry_step)
        return planner.plan(time.monotonic() - start, 0), planner.seconds


def planned_minutes(config: TrainConfig, seconds: dict[float, float], step: int, total: int) -> float:
    """Where ``step`` of a ``total``-step planned run falls in its budget, by the measured cost of each phase."""
    from lmsdk.trainer.schedules import crop_scale

    def cost(n: int) -> float:
        return sum(seconds[crop_scale(config.schedule, s, total)] for s in range(n))

    return (config.max_minutes or 0.0) * cost(step) / cost(total)


@dataclass(frozen=True)
class Plan:
    """The steps a planned run trains and the seconds per step it timed at each crop scale (relative costs, 1.0,
    when it reuses a recipe that recorded no timings: only their ratios place each step in the budget)."""

    steps: int
    seconds: dict[float, float]

    def to_dict(self) -> dict:
        return {"planned": True, "steps": self.steps, "seconds": {str(k): v for k, v in self.seconds.items()}}

    @classmethod
    def from_result(cls, result: dict) -> Plan | None:
        """The plan a run's ``quality.json`` recorded (None for an unplanned run or one without its plan)."""
        if not result.get("planned") or "seconds" not in result:
            return None
        return cls(int(result["steps"]), {float(k): float(v) for k, v in result["seconds"].items()})


def run_one(
    config: TrainConfig,
    out: Path,
    data: Path,
    threads: int | None,
    planned: bool,
    plan: Plan | None = None,
    train_threads: int | None = None,
) -> dict:
    """Train ``config`` into ``out`` and measure it. With ``planned``, the budget is first turned into the
    step count it buys on this machine (timed while the machine is quiet, with ``threads``), or taken from
    ``plan``, and the run trains exactly that many steps (with ``train_threads``, default ``threads``): it then
    gives the same result however busy the machine is while it trains."""
    from lmsdk.trainer import train

    clock = None
    if planned:
        saved = out / PLAN_FILE  # a resumed run keeps the plan it started with
        if saved.is_file():
            plan = Plan.from_result(json.loads(saved.read_text()))
        if plan is None:
            plan = Plan(*planned_steps(config))
        out.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps(plan.to_dict()) + "\n")
        logging.getLogger(__name__).info("%s: %d steps fit in %.0f minutes", out.name, plan.steps, config.max_minutes)
        budgeted, fixed = config, plan

        def clock(step: int) -> float:
            return planned_minutes(budgeted, fixed.seconds, step, fixed.steps)

        config = config.replace(steps=plan.steps, max_minutes=None)
    if train_threads is not None:
        config = config.replace(threads=train_threads)
    result = train(config, out, resume=RunDir(out).started())
    points = measure(out, data, threads, clock)
    minutes = points[-1]["minutes"] if planned else result.final_metrics["time"] / 60
    record = {"steps": result.steps, "minutes": minutes, "planned": planned, "final": points[-1], "points": points}
    return (plan.to_dict() if plan is not None else {}) | record  # the plan's timings beside what was trained


def recipe_plan(recipe: dict, config: TrainConfig) -> Plan:
    """The recipe's plan, for a lever that does not change the work of a step. A recipe measured before plans
    were recorded has only its step count; its steps then cost the same at every point of its single crop scale."""
    plan = Plan.from_result(recipe)
    if plan is not None:
        return plan
    if len(config.schedule.crop_scales) > 1:
        raise ValueError("the recipe's quality.json has no recorded plan; remove it to plan the recipe again")
    return Plan(int(recipe["steps"]), {1.0: 1.0})


def plot(
    curves: dict[str, list[dict]],
    baseline: float,
    path: Path,
    title: str,
    x: str = "minutes",
    xlabel: str = "training wall time (min, 2-core CPU)",
) -> None:
    """Error (%) against ``x`` of each curve's points, with the mean-shape baseline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, points in curves.items():
        ax.plot([p[x] for p in points], [100 * p["error"] for p in points], "o-", label=name)
    ax.axhline(100 * baseline, color="gray", linestyle="--", label="mean-shape baseline")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("MTFL error, % of inter-ocular distance")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--minutes", type=float, default=60.0, help="training budget of each run")
    parser.add_argument("--checkpoint-every", type=int, default=400, help="steps between measured points")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=Path("runs/quality"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    parser.add_argument(
        "--train-threads",
        type=int,
        default=None,
        help="torch threads for training a planned run (default --threads): plan on the quiet machine with all "
        "cores, then train with fewer so that two planned runs can share it",
    )
    parser.add_argument(
        "--planned",
        action="store_true",
        help="time each configuration, then train the steps its budget buys (results independent of machine load)",
    )
    parser.add_argument(
        "--ablate",
        nargs="*",
        default=None,
        metavar="LEVER",
        help=f"levers to flip one at a time (off where the recipe uses them, on where not): {', '.join(LEVERS)}",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not args.data.is_file():
        print(f"skipped: {args.data} not found (the MTFL dev data is not part of lmsdk)")
        return
    from lmsdk.trainer.presets import configure

    base = configure(args.preset, data=str(args.data), max_minutes=args.minutes, seed=args.seed, progress=False)
    base = base.replace(checkpoint_every=args.checkpoint_every, keep_checkpoints=10_000, threads=args.threads)
    runs = {"recipe": base}
    if args.ablate is not None:
        unknown = set(args.ablate) - set(LEVERS)
        if unknown:
            parser.error(f"unknown levers {sorted(unknown)}; known: {', '.join(LEVERS)}")
        for name in args.ablate or LEVERS:
            change, config = LEVERS[name].flipped(base)
            runs[f"{change} {name}"] = config
    args.out.mkdir(parents=True, exist_ok=True)
    results = {}
    for name, config in runs.items():
        folder = args.out / ("recipe" if name == "recipe" else name.split()[-1])
        if (folder / "quality.json").is_file():
            results[name] = json.loads((folder / "quality.json").read_text())
            continue
        plan = None
        if args.planned and name != "recipe" and not LEVERS[folder.name].costs_time:
            plan = recipe_plan(results["recipe"], config)
        results[name] = run_one(config, folder, args.data, args.threads, args.planned, plan, args.train_threads)
        (folder / "quality.json").write_text(json.dumps(results[name], indent=2) + "\n")

    recipe = results["recipe"]
    baseline = recipe["final"]["baseline"]
    print(f"{args.preset} preset on {args.data}, {args.minutes:g}-minute budget, zhang2018 (fit 8000 / test 2000)")
    print(f"{'step':>6} {'minutes':>8} {'error %':>8}")
    for p in recipe["points"]:
        print(f"{p['step']:6d} {p['minutes']:8.1f} {100 * p['error']:8.2f}")
    print(f"mean-shape baseline {100 * baseline:.2f} %")
    plot(
        {k: v["points"] for k, v in results.items()},
        baseline,
        args.out / "quality.png",
        f"{args.preset} preset on MTFL",
    )
    summary = {"preset": args.preset, "minutes": args.minutes, "baseline": baseline, "runs": results}
    if len(results) > 1:
        print(f"\n{'run':24} {'steps':>6} {'error %':>8} {'vs recipe':>10}")
        for name, r in results.items():
            delta = 100 * (r["final"]["error"] - recipe["final"]["error"])
            print(f"{name:24} {r['steps']:6d} {100 * r['final']['error']:8.2f} {delta:+10.2f}")
    (args.out / ("ablation.json" if len(results) > 1 else "summary.json")).write_text(
        json.dumps(summary, indent=2) + "\n"
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
