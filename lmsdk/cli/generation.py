"""``lmsdk train-generator`` (torch) and ``lmsdk generate`` (the runtime, no torch): landmark-conditioned faces
(paper Sec. 4.4, App. G.5; docs/generation.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lmsdk.cli import app
from lmsdk.cli.options import RuntimeBackend, RuntimeDevice, artifact_files
from lmsdk.errors import ConfigError

GRID_FILE = "grid.png"


@app.command("train-generator")
def train_generator(
    run: Annotated[
        Path, typer.Argument(help="A finished training run (RUN_DIR with model/): its landmarks condition.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Run directory of the generator to create (or --resume).")],
    preset: Annotated[
        str, typer.Option("--preset", help="Generator widths: 'cpu' (for the cpu landmark model) or 'tiny' (tests).")
    ] = "cpu",
    steps: Annotated[int | None, typer.Option("--steps", help="Maximum steps (default 20000).")] = None,
    max_minutes: Annotated[
        float | None, typer.Option("--max-minutes", help="Wall-clock budget: the run plans its steps to fit.")
    ] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Images per step (default 16).")] = None,
    cyclic: Annotated[
        float | None,
        typer.Option(
            "--cyclic",
            help="Weight of the L1 cyclic loss between the landmarks detected on generated images and their "
            "condition (normalised crop units; default 10; 0 switches it off).",
        ),
    ] = None,
    lr: Annotated[
        float | None,
        typer.Option("--lr", help="Adam learning rate of both networks, cosine-decayed to a tenth (default 1e-4)."),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (weights, batches, latents).")] = None,
    device: Annotated[str | None, typer.Option("--device", help="cpu or cuda.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the newest checkpoint in --out.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Train a landmark-conditioned generator on a run's frozen landmarks: BEGAN + the cyclic landmark loss
    (paper App. G.5). Writes checkpoints, metrics (BEGAN's k and convergence), sample sheets and GEN_RUN/model;
    export it with lmsdk export GEN_RUN."""
    from lmsdk.cli.training import _check_out
    from lmsdk.trainer import TrainConfig
    from lmsdk.trainer import train as run_training
    from lmsdk.trainer.generation import generation_config

    if resume:
        from lmsdk.fileio import read_json
        from lmsdk.trainer.rundir import CONFIG_FILE

        fixed = {"--steps": steps, "--batch-size": batch_size, "--cyclic": cyclic, "--lr": lr, "--seed": seed}
        given = [flag for flag, value in fixed.items() if value is not None]
        if given:
            raise ConfigError(f"{', '.join(given)} cannot change when resuming; the run keeps {out / CONFIG_FILE}")
        config = TrainConfig.from_dict(read_json(out / CONFIG_FILE, "run config"))
        if config.generation is None:
            raise ConfigError(f"{out}: not a generator run; resume it with the command that started it")
        changes = (("max_minutes", max_minutes), ("device", device))
        config = config.replace(**{k: v for k, v in changes if v is not None}, progress=not quiet)
    else:
        sizes = {k: v for k, v in (("steps", steps), ("batch_size", batch_size)) if v is not None}
        config = generation_config(run, preset, max_minutes=max_minutes, cyclic=cyclic, lr=lr, **sizes)
        changes = (("seed", seed), ("device", device))
        config = config.replace(**{k: v for k, v in changes if v is not None}, progress=not quiet)
    _check_out(out, str(run), config.data.source.partition("#")[0])
    result = run_training(config, out, resume=resume)
    if result.interrupted:
        typer.echo(
            f"interrupted at step {result.steps}; continue with: lmsdk train-generator {run} --out {out} --resume",
            err=True,
        )
        raise typer.Exit(130)
    typer.echo(f"generator written to {out / 'model'}; export it with: lmsdk export {out} --out ARTIFACT")


@app.command()
def generate(
    artifact: Annotated[
        Path, typer.Argument(help="An artifact exported from a generator run (it has generator.onnx).")
    ],
    like: Annotated[Path, typer.Option("--like", help="Reference image: new images get the landmarks detected in it.")],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help=f"Folder for generated_00.png, generated_01.png, ... and {GRID_FILE} (the reference with its "
            "landmarks, then the generations); files of those names are replaced.",
        ),
    ],
    n: Annotated[int, typer.Option("--n", help="How many images to generate (1 to 1024).")] = 8,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed of the Gaussian latents (the same seed, the same images).")
    ] = None,
    box: Annotated[
        str | None,
        typer.Option("--box", help="The reference's crop x0,y0,x1,y1 in pixels; default: the largest centred square."),
    ] = None,
    backend: RuntimeBackend = "auto",
    device: RuntimeDevice = "cpu",
) -> None:
    """Generate new images with the landmarks of a reference image (paper Fig. 11)."""
    from lmsdk.cli.options import parse_box
    from lmsdk.images import read_image, write_image
    from lmsdk.outputs import check_output_dir, check_output_file
    from lmsdk.runtime import Generator
    from lmsdk.runtime.generator import MAX_IMAGES
    from lmsdk.viz import generation_row, tile

    if not 1 <= n <= MAX_IMAGES:
        raise ConfigError(f"--n {n}: the number of images is a whole number from 1 to {MAX_IMAGES}")
    crop = parse_box(box)
    inputs = [like, *artifact_files(artifact)]
    check_output_dir(out, inputs=inputs)
    names = [f"generated_{i:02d}.png" for i in range(n)] + [GRID_FILE]
    for name in names:
        check_output_file(out / name, inputs=inputs)
    reference = read_image(like)
    with Generator(artifact, backend=backend, device=device) as generator:
        result = generator.like(reference, n=n, seed=seed, box=crop)
    out.mkdir(parents=True, exist_ok=True)
    for name, image in zip(names, result.images, strict=False):
        write_image(out / name, image)
    row = generation_row(result.reference, result.landmarks, result.images)
    write_image(out / GRID_FILE, tile(row, columns=len(row)))
    typer.echo(f"wrote {len(result.images)} images and {GRID_FILE} to {out}")
