"""What the training commands (train, distill, sharpen, train-generator) share: their options and the one path that
starts or resumes a run (the defaults their help shows: :mod:`lmsdk.cli.help_defaults`).

An option whose parameter is named after a top-level :class:`~lmsdk.trainer.TrainConfig` field sets that field
(``--batch-size`` sets ``batch_size``); the others (``--data``, ``--landmarks``, a stage's settings) are the
command's to apply. On ``--resume`` only the options naming fields the
trainer lets change (:data:`lmsdk.trainer.resume.RESUMABLE_CHANGES`) may be given; every other option shapes the run
and is refused.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lmsdk.errors import ConfigError, OutputError
from lmsdk.rundir import RunDir

if TYPE_CHECKING:  # the CLI imports torch only when a command runs
    from lmsdk.trainer import TrainConfig

RunOut = Annotated[Path, typer.Option("--out", help="Run directory to create (or to continue with --resume).")]
SourceRun = Annotated[Path, typer.Argument(help="A finished training run (RUN_DIR with model/) to build on.")]
Steps = Annotated[
    int | None, typer.Option("--steps", help="Maximum training steps; the schedules scale to the run's length.")
]
BatchSize = Annotated[
    int | None, typer.Option("--batch-size", help="Images per step (split across processes under torchrun).")
]
Seed = Annotated[int | None, typer.Option("--seed", help="Random seed (weights, batches, warps, latents).")]
MaxMinutes = Annotated[
    float | None,
    typer.Option(
        "--max-minutes",
        help="Wall-clock budget: the run plans its steps to finish cleanly within it. 0: no budget, train "
        "exactly --steps (the same model on any machine).",
    ),
]
Device = Annotated[str | None, typer.Option("--device", help="cpu or cuda.")]
Precision = Annotated[
    str | None,
    typer.Option(
        "--precision",
        help="Autocast of the trained networks: auto (bf16 on CPUs with native bf16 units, else fp32), fp32, "
        "bf16 or fp16.",
    ),
]
Compile = Annotated[
    bool | None,
    typer.Option(
        "--compile/--no-compile",
        help="torch.compile the training forward (minutes of compiling, then faster steps); falls back to eager "
        "where no compiler is available.",
    ),
]
CheckpointEvery = Annotated[
    int | None,
    typer.Option("--checkpoint-every", help="Steps between checkpoints: at most this much is lost to a crash."),
]
KeepCheckpoints = Annotated[
    int | None, typer.Option("--keep-checkpoints", help="Checkpoints kept on disk, the newest (0 keeps all).")
]
Resume = Annotated[bool, typer.Option("--resume", help="Continue the newest checkpoint in --out with its settings.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]

# The options every training command has, after its own: (name, annotation, default).
RUN_OPTIONS: tuple[tuple[str, Any, Any], ...] = (
    ("steps", Steps, None),
    ("batch_size", BatchSize, None),
    ("max_minutes", MaxMinutes, None),
    ("seed", Seed, None),
    ("device", Device, None),
    ("precision", Precision, None),
    ("compile", Compile, None),
    ("checkpoint_every", CheckpointEvery, None),
    ("keep_checkpoints", KeepCheckpoints, None),
    ("resume", Resume, False),
    ("quiet", Quiet, False),
)
# Options that say where and how to resume rather than what to train (besides the resumable config fields).
_RESUME_OPTIONS = ("out", "resume", "quiet")


def with_run_options(command: Callable[..., None]) -> Callable[..., None]:
    """``command`` with :data:`RUN_OPTIONS` appended to its parameters (typer reads the signature). The command
    itself takes only its own; :func:`start_or_resume` reads the shared ones from ``ctx.params``."""
    own = inspect.signature(command, eval_str=True)
    shared = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=a) for n, a, d in RUN_OPTIONS]

    @functools.wraps(command)
    def with_shared(**values: Any) -> None:
        command(**{name: values[name] for name in own.parameters})

    params = [*own.parameters.values(), *shared]
    with_shared.__dict__["__signature__"] = own.replace(parameters=params)
    with_shared.__annotations__ = {p.name: p.annotation for p in params} | {"return": None}
    return with_shared


def given(ctx: typer.Context) -> dict[str, Any]:
    """The parameters given on the command line (not left at their defaults), by name."""
    return {
        name: value
        for name, value in ctx.params.items()
        if getattr(ctx.get_parameter_source(name), "name", None) == "COMMANDLINE"
    }


def config_options(ctx: typer.Context) -> dict[str, Any]:
    """The given options that name top-level :class:`TrainConfig` fields, as config changes (``--max-minutes 0``:
    no budget)."""
    from lmsdk.trainer import TrainConfig

    changes = {k: v for k, v in given(ctx).items() if k in TrainConfig.__dataclass_fields__ and v is not None}
    if "max_minutes" in changes:
        if changes["max_minutes"] < 0:
            raise ConfigError(f"--max-minutes {changes['max_minutes']:g}: a budget in minutes, or 0 for none")
        changes["max_minutes"] = changes["max_minutes"] or None
    return changes


def start_or_resume(
    ctx: typer.Context,
    out: Path,
    build: Callable[[dict[str, Any]], TrainConfig],
    *,
    kinds: tuple[str, ...],
    inputs: tuple[Path | str | None, ...] = (),
    made: str = "model",
) -> None:
    """The body of every training command: train the run ``build(config_options)`` sets up into ``out``, or, with
    ``--resume``, continue the run there (then only the options of resumable config fields may be given, and
    the run must be one of ``kinds``, the stages this command trains)."""
    from lmsdk.trainer import read_config, train
    from lmsdk.trainer.resume import RESUMABLE_CHANGES

    options = config_options(ctx)
    resume = bool(ctx.params.get("resume"))
    if resume:
        arguments = set(_arguments(ctx))
        allowed = {*RESUMABLE_CHANGES, *_RESUME_OPTIONS, *arguments}
        shaping = [p.opts[0] for p in ctx.command.params if p.name in given(ctx) and p.name not in allowed]
        if shaping:
            run = RunDir(out)
            raise ConfigError(f"{', '.join(shaping)} cannot change when resuming; the run keeps {run.config}")
        config = read_config(out)
        if config.stage.kind not in kinds:
            raise ConfigError(f"{out}: not a {ctx.info_name} run; resume it with the command that started it")
        config = config.replace(**options)
    else:
        config = build(options)
    config = config.replace(progress=not ctx.params.get("quiet"))
    check_out(out, *config.data.paths, *inputs)
    result = train(config, out, resume=resume)
    again = " ".join(["lmsdk", str(ctx.info_name), *(str(ctx.params[a]) for a in _arguments(ctx)), "--out", str(out)])
    if result.interrupted:
        typer.echo(f"interrupted at step {result.steps}; continue with: {again} --resume", err=True)
        raise typer.Exit(130)
    typer.echo(f"{made} written to {RunDir(out).model}; export it with: lmsdk export {out} --out ARTIFACT")


def _arguments(ctx: typer.Context) -> list[str]:
    """The names of the command's positional arguments."""
    return [str(p.name) for p in ctx.command.params if not _is_option(p)]


def _is_option(param: Any) -> bool:
    return bool(param.param_type_name == "option")


def check_out(out: Path, *inputs: Path | str | None) -> None:
    """A run directory must be a folder that can be written, that holds none of the run's inputs and that is not
    inside an input folder (its sample images would become training data of the next run)."""
    from lmsdk.outputs import check_output_dir

    sources = [Path(p) for p in inputs if p and str(p) != "synthetic"]
    check_output_dir(out, inputs=sources)
    for source in sources:
        if source.is_dir() and source.resolve() in out.resolve().parents:
            raise OutputError(f"--out {out}: is inside the input folder {source}; choose a folder outside it")
