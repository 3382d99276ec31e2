"""The ``lmsdk`` command line. Each command builds one config and calls one library function; stages are
imported inside the commands, so ``lmsdk --help`` is fast and the runtime commands never load torch.

Errors a user can fix (a bad path, flag or file) print one line and exit with status 2.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from lmsdk import __version__
from lmsdk.errors import ConfigError, LmsdkError

app = typer.Typer(
    name="lmsdk",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Discover object landmarks without labels (Zhang et al., CVPR 2018), export them, track them.",
)
logger = logging.getLogger("lmsdk")


def _setup_logging(verbose: bool) -> None:
    from rich.console import Console
    from rich.logging import RichHandler

    handler = RichHandler(console=Console(stderr=True), show_path=False, show_time=False)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(message)s", handlers=[handler], force=True
    )
    for noisy in ("PIL", "matplotlib", "h5py"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lmsdk {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug messages.")] = False,
    version: Annotated[
        bool | None, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = None,
) -> None:
    _setup_logging(verbose)


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
        typer.Option("--max-minutes", help="Wall-clock budget: the run plans its steps to finish cleanly within it."),
    ] = None,
    device: Annotated[str | None, typer.Option("--device", help="cpu or cuda.")] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the newest checkpoint in --out with the same schedule.")
    ] = False,
    data_format: Annotated[
        str | None, typer.Option("--format", help="Data format when it cannot be detected: synthetic, folder or mtfl.")
    ] = None,
    crop_fraction: Annotated[
        float | None,
        typer.Option("--crop-fraction", help="Image folders: keep this centred fraction of each image's square."),
    ] = None,
    precision: Annotated[
        str | None, typer.Option("--precision", help="fp32 (default), bf16 or fp16 autocast for the networks.")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (weights, batches, warps).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Discover landmarks on unlabeled images; writes config, checkpoints, metrics, samples and RUN_DIR/model."""
    from lmsdk.trainer import TrainConfig
    from lmsdk.trainer import train as run_training
    from lmsdk.trainer.presets import configure

    if resume:
        from lmsdk.fileio import read_json
        from lmsdk.trainer.loop import CONFIG_FILE

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
        }
        given = [flag for flag, value in fixed.items() if value is not None]
        if given:
            raise ConfigError(f"{', '.join(given)} cannot change when resuming; the run keeps {out / CONFIG_FILE}")
        config = TrainConfig.from_dict(read_json(out / CONFIG_FILE, "run config"))
        config = config.replace(
            **{k: v for k, v in (("max_minutes", max_minutes), ("device", device)) if v is not None}, progress=not quiet
        )
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
            max_minutes=max_minutes,
            device=device,
            precision=precision,
            seed=seed,
            progress=not quiet,
        )
    result = run_training(config, out, resume=resume)
    if result.interrupted:
        typer.echo(f"interrupted at step {result.steps}; continue with: lmsdk train --out {out} --resume", err=True)
        raise typer.Exit(130)
    typer.echo(f"model written to {out / 'model'}")


@app.command()
def export(
    run_dir: Annotated[Path, typer.Argument(help="A finished run directory (it has model/).")],
    out: Annotated[Path, typer.Option("--out", help="Artifact directory to write (ONNX files + manifest.json).")],
    trt: Annotated[
        bool,
        typer.Option(
            "--trt", help="Also build TensorRT engines (needs an NVIDIA GPU and lmsdk[trt]); parity-checked too."
        ),
    ] = False,
    fp16: Annotated[
        bool,
        typer.Option("--fp16", help="Also write fp16 graphs (fp32 inputs and outputs) and, with --trt, fp16 engines."),
    ] = False,
) -> None:
    """Export a trained model to ONNX (and TensorRT) with a parity gate: fails if any graph disagrees."""
    from lmsdk.export import export_run

    result = export_run(run_dir, out, fp16=fp16, trt=trt)
    for key, entry in result.manifest.files.items():
        size = (out / entry.file).stat().st_size / 1e6
        typer.echo(f"  {entry.file:22s} {size:7.2f} MB  {key}")
    for report in result.reports:
        typer.echo(f"  parity {report.describe()}")
    typer.echo(f"  end to end: {result.manifest.parity['end_to_end_px']['max_abs']:.4f} px")
    typer.echo(f"exported to {out} in {result.seconds:.1f} s")


def main() -> None:
    """Entry point: run the app, turning user errors into one line on stderr and exit status 2."""
    try:
        app()
    except LmsdkError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
