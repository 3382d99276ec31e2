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
            "--init": init,
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
            init=str(init) if init else None,
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


@app.command("eval")
def evaluate(
    model: Annotated[Path, typer.Argument(help="A run directory (torch) or an artifact directory (onnxruntime).")],
    fit: Annotated[
        str,
        typer.Option(
            "--fit",
            help="Labelled data to fit the regressor on: a labels CSV or a dataset path, optionally "
            "with #split (e.g. /data/celeba#mafl-train).",
        ),
    ],
    test: Annotated[
        str, typer.Option("--test", help="Labelled data to test on; the same as --fit splits it at random (80 % fit).")
    ],
    protocol: Annotated[
        str,
        typer.Option(
            "--protocol",
            help="zhang2018 (bias-free least squares, error over the inter-ocular distance) or h36m "
            "(image-size normalised, minimum over left-right swapped annotations).",
        ),
    ] = "zhang2018",
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for metrics.json and the plots (default: MODEL/eval).")
    ] = None,
    data_format: Annotated[str | None, typer.Option("--format", help="Data format when it cannot be detected.")] = None,
    fit_count: Annotated[
        int | None,
        typer.Option("--fit-count", help="Fit on this many images (the first ones, or a random split of one dataset)."),
    ] = None,
    few_shot: Annotated[
        bool,
        typer.Option(
            "--few-shot", help="Also the error against the number of labelled images (repeated random draws)."
        ),
    ] = False,
    swap: Annotated[
        str | None, typer.Option("--swap", help="h36m: left-right point pairs as 1:4,2:5,... (0-based).")
    ] = None,
) -> None:
    """Regress discovered landmarks to annotated ones (the paper's protocol); print the errors, write plots."""
    from rich.console import Console
    from rich.table import Table

    from lmsdk.eval.evaluate import evaluate as run_evaluation
    from lmsdk.eval.evaluate import parse_pairs

    evaluation = run_evaluation(
        model,
        fit,
        test,
        protocol=protocol,
        out_dir=out or model / "eval",
        data_format=data_format,
        fit_count=fit_count,
        few_shot=few_shot,
        swap=parse_pairs(swap),
    )
    r = evaluation.result
    table = Table(title=f"protocol {r.protocol}: fit {r.n_fit} / test {r.n_test} images")
    table.add_column("")
    table.add_column("error %", justify="right")
    table.add_row("discovered landmarks", f"{100 * r.mean_error:.2f}")
    table.add_row("mean-shape baseline", f"{100 * r.baseline_error:.2f}")
    for k, e in enumerate(r.per_landmark):
        table.add_row(f"  point {k}", f"{100 * e:.2f}")
    for p in evaluation.few_shot:
        table.add_row(f"  {p.labels} labels ({p.draws} draws)", f"{100 * p.mean:.2f} ± {100 * p.std:.2f}")
    Console().print(table)
    for path in evaluation.outputs:
        typer.echo(f"wrote {path}")


def _parse_box(text: str | None) -> object:
    if text is None:
        return None
    from lmsdk.runtime import Box

    try:
        x0, y0, x1, y1 = (float(v) for v in text.split(","))
    except ValueError:
        raise ConfigError(f"--box {text!r}: expected x0,y0,x1,y1 in pixels") from None
    if x1 <= x0 or y1 <= y0:
        raise ConfigError(f"--box {text!r}: x1 must exceed x0 and y1 must exceed y0")
    return Box.from_xyxy(x0, y0, x1, y1)


RuntimeBackend = Annotated[str, typer.Option("--backend", help="auto, onnxruntime or tensorrt.")]
RuntimeDevice = Annotated[str, typer.Option("--device", help="cpu or cuda.")]


@app.command()
def track(
    artifact: Annotated[Path, typer.Argument(help="An artifact directory written by lmsdk export.")],
    source: Annotated[str, typer.Argument(help="A video file, or a camera index such as 0.")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the overlay video here (.mp4 or .avi).")] = None,
    csv_path: Annotated[
        Path | None,
        typer.Option("--csv", help="Write one row per frame: frame, time, state, confidence, x0, y0, x1, y1, ..."),
    ] = None,
    show: Annotated[bool, typer.Option("--show", help="Show a live window (needs a display; q quits).")] = False,
    smooth: Annotated[bool, typer.Option("--smooth/--no-smooth", help="One Euro smoothing of the landmarks.")] = True,
    box: Annotated[
        str | None, typer.Option("--box", help="First crop x0,y0,x1,y1 in pixels; default: search the frame.")
    ] = None,
    redetect_every: Annotated[
        int,
        typer.Option(
            "--redetect-every", help="Also search the whole frame every N frames (0: only when confidence drops)."
        ),
    ] = 0,
    min_confidence: Annotated[
        float, typer.Option("--min-confidence", help="Mean landmark confidence under which the object counts as lost.")
    ] = 0.35,
    backend: RuntimeBackend = "auto",
    device: RuntimeDevice = "cpu",
) -> None:
    """Track landmarks through a video or a camera; reports pipeline FPS and inference time separately."""
    from dataclasses import replace

    from rich.progress import Progress

    from lmsdk.runtime import Detector, Tracker, TrackerConfig, VideoSource, track_video
    from lmsdk.runtime.tracking import with_smoothing

    detector = Detector(artifact, backend=backend, device=device)
    config = with_smoothing(
        replace(TrackerConfig(), redetect_every=redetect_every, min_confidence=min_confidence), smooth
    )
    tracker = Tracker(detector, config, box=_parse_box(box))  # type: ignore[arg-type]
    with VideoSource(source) as video, Progress(transient=True) as progress:
        task = progress.add_task("tracking", total=video.frame_count)
        summary = track_video(
            tracker, video, out=out, csv_path=csv_path, show=show, on_frame=lambda r: progress.advance(task)
        )
    typer.echo(
        f"{summary.frames} frames, object found in {summary.found}; pipeline {summary.pipeline_fps:.1f} fps, "
        f"inference {summary.inference_ms:.2f} ms/frame ({detector.backend_name})"
    )
    for path in summary.outputs:
        typer.echo(f"wrote {path}")


def _parse_move(text: str) -> tuple[int, tuple[float, float]]:
    try:
        index, delta = text.split(":")
        dx, dy = delta.split(",")
        return int(index), (float(dx), float(dy))
    except ValueError:
        raise ConfigError(f"--move {text!r}: expected K:DX,DY (landmark index, shift in pixels)") from None


def _read_image(path: Path):
    import cv2
    import numpy as np

    from lmsdk.errors import DataError

    if not path.is_file():
        raise DataError(f"{path}: image file not found")
    image = cv2.imdecode(np.fromfile(str(path), np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise DataError(f"{path}: not a readable image")
    return image


@app.command()
def edit(
    artifact: Annotated[Path, typer.Argument(help="An artifact directory written by lmsdk export.")],
    image: Annotated[Path, typer.Argument(help="The image to edit.")],
    move: Annotated[
        list[str],
        typer.Option(
            "--move", help="K:DX,DY moves landmark K by (DX, DY) pixels of the image; repeat for more landmarks."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Write the edited (decoded) crop here.")],
    box: Annotated[
        str | None,
        typer.Option("--box", help="The crop x0,y0,x1,y1 in pixels; default: the largest centred square."),
    ] = None,
    compare: Annotated[
        Path | None,
        typer.Option("--compare", help="Also write input | reconstruction | edit side by side, landmarks drawn."),
    ] = None,
    backend: RuntimeBackend = "auto",
    device: RuntimeDevice = "cpu",
) -> None:
    """Move landmarks and re-decode the image: the paper's shape manipulation."""
    from lmsdk.runtime import ShapeEditor
    from lmsdk.viz import edit_sheet, write_image

    moves = dict(_parse_move(m) for m in move)
    editor = ShapeEditor(artifact, backend=backend, device=device)
    result = editor.edit(_read_image(image), moves, _parse_box(box))  # type: ignore[arg-type]
    write_image(str(out), result.image[:, :, ::-1])
    typer.echo(f"wrote {out}")
    if compare:
        write_image(
            str(compare),
            edit_sheet(
                result.original,
                result.reconstruction,
                result.image,
                result.code.normalized,
                result.landmarks,
                list(moves),
            )[:, :, ::-1],
        )
        typer.echo(f"wrote {compare}")


@app.command()
def morph(
    artifact: Annotated[Path, typer.Argument(help="An artifact directory written by lmsdk export.")],
    image_a: Annotated[Path, typer.Argument(help="The start image.")],
    image_b: Annotated[Path, typer.Argument(help="The end image.")],
    out: Annotated[Path, typer.Option("--out", help="Write the morph video here (.mp4 or .avi).")],
    frames: Annotated[int, typer.Option("--frames", help="Number of frames, both ends included.")] = 30,
    fps: Annotated[float, typer.Option("--fps", help="Frame rate of the video.")] = 15.0,
    appearance: Annotated[
        str,
        typer.Option(
            "--appearance", help="'a': keep A's descriptors (shape changes only); 'blend': interpolate them too."
        ),
    ] = "a",
    scale: Annotated[int, typer.Option("--scale", help="Enlarge the decoded frames by this factor.")] = 4,
    backend: RuntimeBackend = "auto",
    device: RuntimeDevice = "cpu",
) -> None:
    """Morph A's landmarks into B's through the decoder and write the sequence as a video."""
    import cv2

    from lmsdk.runtime import ShapeEditor, VideoSink

    editor = ShapeEditor(artifact, backend=backend, device=device)
    sequence = editor.morph(_read_image(image_a), _read_image(image_b), frames, appearance=appearance)
    sink = VideoSink(out, fps)
    for frame in sequence:
        sink.write(cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC))
    sink.close()
    typer.echo(f"wrote {out} ({len(sequence)} frames)")


@app.command("demo-video")
def demo_video(
    out: Annotated[Path, typer.Argument(help="Video file to write (.avi: MJPG, .mp4: mp4v).")],
    motion: Annotated[str, typer.Option("--motion", help="still, drift or exit (leaves and comes back).")] = "drift",
    frames: Annotated[int, typer.Option("--frames", help="Number of frames.")] = 150,
    width: Annotated[int, typer.Option("--width", help="Frame width in pixels.")] = 320,
    height: Annotated[int, typer.Option("--height", help="Frame height in pixels.")] = 240,
    seed: Annotated[int, typer.Option("--seed", help="Which synthetic face.")] = 0,
) -> None:
    """Write a synthetic video of a moving cartoon face (known motion) to try the tracker on."""
    from lmsdk.data.clips import MOTIONS, ClipSpec, write_clip

    if motion not in MOTIONS:
        raise ConfigError(f"--motion {motion!r}: one of {', '.join(MOTIONS)}")
    write_clip(str(out), ClipSpec(width=width, height=height, frames=frames, motion=motion, seed=seed))
    typer.echo(f"wrote {out}")


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
