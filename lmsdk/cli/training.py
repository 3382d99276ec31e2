"""``lmsdk train``, ``lmsdk distill`` and ``lmsdk sharpen``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lmsdk.cli import app
from lmsdk.cli.options import Quiet, StageDevice, StageMinutes, StageResume
from lmsdk.errors import ConfigError

if TYPE_CHECKING:  # the CLI imports torch only when a command runs
    from lmsdk.trainer import TrainConfig


@app.command()
def train(
    out: Annotated[Path, typer.Option("--out", help="Run directory to create (or to continue with --resume).")],
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            help="'synthetic' (built-in procedural faces, the default) or a path: a folder of images or "
            "an MTFL-style landmark list. The format is detected; name it with --format.",
        ),
    ] = None,
    preset: Annotated[
        str,
        typer.Option(
            "--preset",
            help="Settings to start from: 'cpu' (about an hour on a 2-core CPU), 'tiny' (smoke tests), "
            "or a paper setting such as celeba-k10, aflw-k10, cat-k10, mnist-k7, human-k16.",
        ),
    ] = "cpu",
    landmarks: Annotated[
        int | None,
        typer.Option("--landmarks", "-k", help="Number of landmarks K to discover (the separation bandwidth follows)."),
    ] = None,
    steps: Annotated[
        int | None,
        typer.Option("--steps", help="Maximum training steps; the LR and reconstruction schedules scale to the run."),
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option("--batch-size", help="Images per step (split across processes under torchrun).")
    ] = None,
    image_size: Annotated[
        int | None, typer.Option("--image-size", help="Crop side S in pixels; padding keeps the preset's ratio.")
    ] = None,
    max_minutes: Annotated[
        float | None,
        typer.Option(
            "--max-minutes",
            help="Wall-clock budget: the run plans its steps to finish cleanly within it. 0: no budget, train "
            "exactly --steps (the same model on any machine).",
        ),
    ] = None,
    device: Annotated[str | None, typer.Option("--device", help="cpu or cuda.")] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the newest checkpoint in --out with the same schedule.")
    ] = False,
    data_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="Data format when it cannot be detected: synthetic, celeba, aflw, cats, mtfl, labels, mnist, "
            "video or folder.",
        ),
    ] = None,
    crop_fraction: Annotated[
        float | None,
        typer.Option("--crop-fraction", help="Image folders: keep this centred fraction of each image's square."),
    ] = None,
    precision: Annotated[
        str | None,
        typer.Option(
            "--precision",
            help="Autocast of the networks: auto (the cpu preset's: bf16 on CPUs with native bf16 units, else "
            "fp32), fp32 (the paper presets'), bf16 or fp16.",
        ),
    ] = None,
    compile_model: Annotated[
        bool | None,
        typer.Option(
            "--compile/--no-compile",
            help="torch.compile the training forward (the cpu preset does; about 2 minutes of compiling, then "
            "faster steps). Falls back to eager where no compiler is available.",
        ),
    ] = None,
    checkpoint_every: Annotated[
        int | None,
        typer.Option("--checkpoint-every", help="Steps between checkpoints: at most this much is lost to a crash."),
    ] = None,
    keep_checkpoints: Annotated[
        int | None,
        typer.Option("--keep-checkpoints", help="Checkpoints kept on disk, the newest (default 2; 0 keeps all)."),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (weights, batches, warps).")] = None,
    init: Annotated[
        Path | None,
        typer.Option(
            "--init", help="Start from this run's weights (same preset, K and size), e.g. fine-tune AFLW from CelebA."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Discover landmarks on unlabeled images; writes config, checkpoints, metrics, samples and RUN_DIR/model."""
    from lmsdk.trainer import TrainConfig
    from lmsdk.trainer import train as run_training
    from lmsdk.trainer.presets import configure

    if resume:
        from lmsdk.trainer.rundir import CONFIG_FILE

        fixed = {
            "--data": data,
            "--landmarks": landmarks,
            "--steps": steps,
            "--batch-size": batch_size,
            "--image-size": image_size,
            "--format": data_format,
            "--crop-fraction": crop_fraction,
            "--precision": precision,
            "--seed": seed,
            "--init": init,
            "--compile/--no-compile": compile_model,
            "--keep-checkpoints": keep_checkpoints,
        }
        given = [flag for flag, value in fixed.items() if value is not None]
        if given:
            raise ConfigError(f"{', '.join(given)} cannot change when resuming; the run keeps {out / CONFIG_FILE}")
        config = TrainConfig.read(out / CONFIG_FILE)
        changes = (("device", device), ("checkpoint_every", checkpoint_every))
        config = config.replace(**{k: v for k, v in changes if v is not None}, progress=not quiet)
    else:
        config = configure(
            preset,
            data=data,
            data_format=data_format,
            crop_fraction=crop_fraction,
            landmarks=landmarks,
            image_size=image_size,
            steps=steps,
            batch_size=batch_size,
            device=device,
            precision=precision,
            seed=seed,
            init=str(init) if init else None,
            compile=compile_model,
            checkpoint_every=checkpoint_every,
            keep_checkpoints=keep_checkpoints,
            progress=not quiet,
        )
    if max_minutes is not None:
        if max_minutes < 0:
            raise ConfigError(f"--max-minutes {max_minutes:g}: a budget in minutes, or 0 for none")
        config = config.replace(max_minutes=max_minutes or None)
    _check_out(out, config.data.source.partition("#")[0], config.init)
    result = run_training(config, out, resume=resume)
    if result.interrupted:
        typer.echo(f"interrupted at step {result.steps}; continue with: lmsdk train --out {out} --resume", err=True)
        raise typer.Exit(130)
    typer.echo(f"model written to {out / 'model'}")


@app.command()
def distill(
    run: Annotated[Path, typer.Argument(help="A finished training run (RUN_DIR with model/): the teacher.")],
    out: Annotated[Path, typer.Option("--out", help="Run directory of the lite detector to create (or --resume).")],
    arch: Annotated[
        str,
        typer.Option(
            "--arch",
            help="Lite architecture: 'lite-wide' (about 17 M multiply-adds; within 1.04x of its MTFL teacher after "
            "3,600 steps, docs/lite.md) or 'lite' (about 8 M, faster, not measured as long).",
        ),
    ] = "lite-wide",
    steps: Annotated[
        int | None, typer.Option("--steps", help="Maximum distillation steps (default 3600: 42 min on 2 CPU cores).")
    ] = None,
    max_minutes: StageMinutes = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Images per step (default 32).")] = None,
    device: StageDevice = None,
    resume: StageResume = False,
    quiet: Quiet = False,
) -> None:
    """Distil a trained run's detector into a lite one that runs many times faster; export LITE_RUN like any run
    (the teacher's encoder and decoder travel with it for editing)."""

    def build() -> TrainConfig:
        from lmsdk.trainer.distill import distill_config

        sizes = {k: v for k, v in (("steps", steps), ("batch_size", batch_size)) if v is not None}
        return distill_config(run, arch, max_minutes=max_minutes, **sizes)

    fixed = {"--steps": steps, "--batch-size": batch_size}
    fine_tune(
        "distill",
        run,
        out,
        build,
        stage="distill",
        fixed=fixed,
        made="lite model",
        resume=resume,
        max_minutes=max_minutes,
        device=device,
        quiet=quiet,
    )


@app.command()
def sharpen(
    run: Annotated[Path, typer.Argument(help="A finished training run (RUN_DIR with model/) to sharpen.")],
    out: Annotated[Path, typer.Option("--out", help="Run directory of the sharpened model to create (or --resume).")],
    steps: Annotated[int | None, typer.Option("--steps", help="Maximum fine-tuning steps (default 2000).")] = None,
    max_minutes: StageMinutes = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Images per step (default 16).")] = None,
    reconstruction: Annotated[
        float | None,
        typer.Option(
            "--reconstruction",
            help="Weight of the L1 reconstruction term (default 20: reconstructions keep the input's colours; "
            "lower it and raise --cycle for edits that follow further, less faithfully).",
        ),
    ] = None,
    adversarial: Annotated[
        float | None,
        typer.Option("--adversarial", help="Weight of the BEGAN adversarial term (default 1; 0 switches it off)."),
    ] = None,
    gradient: Annotated[
        float | None,
        typer.Option(
            "--gradient",
            help="Weight of the gradient difference term: L1 between the image gradients of each crop and its "
            "reconstruction (default 2; 0 switches it off).",
        ),
    ] = None,
    cycle: Annotated[
        float | None,
        typer.Option(
            "--cycle",
            help="Weight per crop pixel of the edit-consistency term: moved landmarks re-detected where they were "
            "sent (default 3; 0 switches it off).",
        ),
    ] = None,
    train_descriptors: Annotated[
        bool | None,
        typer.Option(
            "--train-descriptors/--decoder-only",
            help="Fine-tune the descriptor encoder with the decoder (the default: edits follow the landmarks "
            "further), or the decoder alone.",
        ),
    ] = None,
    device: StageDevice = None,
    resume: StageResume = False,
    quiet: Quiet = False,
) -> None:
    """Fine-tune a trained run's decoder and descriptor encoder (detector frozen) with a BEGAN adversarial term and
    an edit-consistency term, for sharper reconstructions and edits that follow the landmarks; export the new run
    like any run."""

    def build() -> TrainConfig:
        import dataclasses

        from lmsdk.trainer.config import SharpenConfig
        from lmsdk.trainer.sharpen import sharpen_config

        given = (
            ("reconstruction", reconstruction),
            ("adversarial", adversarial),
            ("gradient", gradient),
            ("cycle", cycle),
            ("train_descriptors", train_descriptors),
        )
        terms = dataclasses.replace(SharpenConfig(source=str(run)), **{k: v for k, v in given if v is not None})
        sizes = {k: v for k, v in (("steps", steps), ("batch_size", batch_size)) if v is not None}
        return sharpen_config(run, max_minutes=max_minutes, sharpen=terms, **sizes)

    fixed = {
        "--steps": steps,
        "--batch-size": batch_size,
        "--reconstruction": reconstruction,
        "--adversarial": adversarial,
        "--gradient": gradient,
        "--cycle": cycle,
        "--train-descriptors/--decoder-only": train_descriptors,
    }
    fine_tune(
        "sharpen",
        run,
        out,
        build,
        stage="sharpen",
        fixed=fixed,
        made="sharpened model",
        resume=resume,
        max_minutes=max_minutes,
        device=device,
        quiet=quiet,
    )


def fine_tune(
    command: str,
    run: Path,
    out: Path,
    build: Callable[[], TrainConfig],
    *,
    stage: str,
    fixed: dict[str, object],
    made: str,
    resume: bool,
    max_minutes: float | None,
    device: str | None,
    quiet: bool,
) -> None:
    """The body of ``lmsdk distill``, ``sharpen`` and ``train-generator``: train the stage ``build()`` sets up
    on the finished run ``run`` into ``out``, or resume it (then only ``--max-minutes`` and ``--device`` may
    change: the options in ``fixed`` shape the run, and ``out``'s config must be a run of this ``stage``, the
    :class:`~lmsdk.trainer.config.TrainConfig` field the stage sets)."""
    from lmsdk.trainer import TrainConfig
    from lmsdk.trainer import train as run_training

    if resume:
        from lmsdk.trainer.rundir import CONFIG_FILE

        given = [flag for flag, value in fixed.items() if value is not None]
        if given:
            raise ConfigError(f"{', '.join(given)} cannot change when resuming; the run keeps {out / CONFIG_FILE}")
        config = TrainConfig.read(out / CONFIG_FILE)
        if getattr(config, stage) is None:
            raise ConfigError(f"{out}: not a {command} run; resume it with the command that started it")
        config = config.replace(
            **{k: v for k, v in (("max_minutes", max_minutes), ("device", device)) if v is not None}
        )
    else:
        config = build().replace(**({"device": device} if device else {}))
    config = config.replace(progress=not quiet)
    _check_out(out, str(run), config.data.source.partition("#")[0])
    result = run_training(config, out, resume=resume)
    if result.interrupted:
        typer.echo(
            f"interrupted at step {result.steps}; continue with: lmsdk {command} {run} --out {out} --resume", err=True
        )
        raise typer.Exit(130)
    typer.echo(f"{made} written to {out / 'model'}; export it with: lmsdk export {out} --out ARTIFACT")


def _check_out(out: Path, *inputs: str | None) -> None:
    """A run directory must be a folder that can be written, that holds none of the run's inputs and that is not
    inside an input folder (its sample images would become training data of the next run)."""
    from lmsdk.errors import OutputError
    from lmsdk.outputs import check_output_dir

    sources = [Path(p) for p in inputs if p and p != "synthetic"]
    check_output_dir(out, inputs=sources)
    for source in sources:
        if source.is_dir() and source.resolve() in out.resolve().parents:
            raise OutputError(f"--out {out}: is inside the input folder {source}; choose a folder outside it")
