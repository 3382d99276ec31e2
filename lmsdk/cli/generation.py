"""``lmsdk generate`` (the runtime, no torch): new faces with the landmarks of a reference image (paper Sec. 4.4,
App. G.5; docs/generation.md). The generator is trained by ``lmsdk train-generator`` (:mod:`lmsdk.cli.training`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lmsdk.cli import app
from lmsdk.cli.options import CropBox, RuntimeBackend, RuntimeDevice, artifact_files
from lmsdk.errors import ConfigError

GRID_FILE = "grid.png"


@app.command()
def generate(
    artifact: Annotated[
        Path,
        typer.Argument(
            help="An artifact (lmsdk export): its generator where it has one (a generator run's export), else its "
            "decoder fed descriptors drawn from the prior over its codes."
        ),
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
    source: Annotated[
        str,
        typer.Option(
            "--source",
            help="What draws the images: auto (the generator where there is one, else the prior), generator, or "
            "prior (the artifact's decoder with descriptors drawn from the prior fitted at export).",
        ),
    ] = "auto",
    temperature: Annotated[
        float,
        typer.Option(
            "--temperature", help="Standard deviation of the Gaussian latents (1: as fitted; lower: more typical)."
        ),
    ] = 1.0,
    box: CropBox = None,
    backend: RuntimeBackend = "auto",
    device: RuntimeDevice = "cpu",
) -> None:
    """Generate new images with the landmarks of a reference image (paper Fig. 11; docs/generation.md)."""
    from lmsdk.cli.options import check_box_overlaps, parse_box
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
    check_box_overlaps(crop, reference.shape[1], reference.shape[0], str(like))
    with Generator(artifact, source=source, backend=backend, device=device) as generator:
        result = generator.like(reference, n=n, seed=seed, box=crop, temperature=temperature)
    out.mkdir(parents=True, exist_ok=True)
    for name, image in zip(names, result.images, strict=False):
        write_image(out / name, image)
    row = generation_row(result.reference, result.landmarks, result.images)
    write_image(out / GRID_FILE, tile(row, columns=len(row)))
    typer.echo(f"wrote {len(result.images)} images and {GRID_FILE} to {out}")
