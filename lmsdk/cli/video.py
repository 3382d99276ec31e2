"""``lmsdk track``, ``edit``, ``morph`` and ``demo-video``: the runtime commands (no torch).

Each checks its options and output paths before loading a model: an output may not be one of the command's
inputs (the video, an image, an artifact file), and is written to a temporary file that replaces an existing
one only when complete.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lmsdk.cli import app
from lmsdk.cli.options import (
    ArtifactArg,
    CropBox,
    RuntimeBackend,
    RuntimeDevice,
    artifact_files,
    check_box_overlaps,
    distinct,
    parse_box,
    parse_moves,
)
from lmsdk.errors import ConfigError
from lmsdk.images import IMAGE_SUFFIXES
from lmsdk.outputs import check_output_file
from lmsdk.video import VIDEO_WRITERS

REPLACED = "an existing file is replaced"


@app.command()
def track(
    artifact: ArtifactArg,
    source: Annotated[str, typer.Argument(help="A video file, or a camera index such as 0.")],
    out: Annotated[
        Path | None, typer.Option("--out", help=f"Write the overlay video here (.mp4 or .avi; {REPLACED}).")
    ] = None,
    csv_path: Annotated[
        Path | None,
        typer.Option(
            "--csv", help=f"Write one row per frame: frame, time, state, confidence, x0, y0, x1, y1, ... ({REPLACED})."
        ),
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
        float,
        typer.Option(
            "--min-confidence",
            help="Mean landmark confidence (0 to 1) under which the object counts as lost (lowered to half the "
            "model's typical confidence on its training crops when that is lower).",
        ),
    ] = 0.35,
    move: Annotated[
        list[str] | None,
        typer.Option(
            "--move",
            help="K:DX,DY edits every tracked frame: landmark K moved by (DX, DY) pixels of the model's "
            "crop, decoded and pasted back; repeat for more landmarks.",
        ),
    ] = None,
    backend: RuntimeBackend = "auto",
    device: RuntimeDevice = "cpu",
    precision: Annotated[
        str,
        typer.Option(
            "--precision",
            help="Graph precision: auto (int8 on the CPU where the artifact has it, else fp32), fp32, fp16 or int8 "
            "(int8: exported with lmsdk export --int8; the fastest on CPUs).",
        ),
    ] = "auto",
    graph: Annotated[
        str,
        typer.Option(
            "--graph",
            help="Which detector tracks: auto (the artifact's distilled tracker graph when it has one, else its "
            "detector), tracker or detector.",
        ),
    ] = "auto",
) -> None:
    """Track landmarks through a video or a camera; reports pipeline FPS and, per frame, the tracking time apart
    from decoding and drawing."""
    from dataclasses import replace

    from rich.progress import Progress

    from lmsdk.runtime import Detector, Tracker, TrackerConfig, VideoSource
    from lmsdk.runtime.inputs import as_moves
    from lmsdk.runtime.tracking import with_smoothing
    from lmsdk.runtime.video_tracking import track_video

    config = with_smoothing(
        replace(TrackerConfig(), redetect_every=redetect_every, min_confidence=min_confidence), smooth
    )
    first_box, moves = parse_box(box), parse_moves(move)
    inputs = [*([] if source.isdigit() and not Path(source).exists() else [Path(source)]), *artifact_files(artifact)]
    if out is not None:
        check_output_file(out, option="--out", inputs=inputs, suffixes=VIDEO_WRITERS)
    if csv_path is not None:
        check_output_file(csv_path, option="--csv", inputs=inputs)
    distinct(out=out, csv=csv_path)
    if graph not in ("auto", "detector", "tracker"):
        raise ConfigError(f"--graph {graph!r}: auto, detector or tracker")
    if graph == "auto":
        detector = Detector.for_tracking(artifact, backend=backend, device=device, precision=precision)
    else:
        if precision == "auto":
            precision = "fp32"
        detector = Detector(artifact, graph=graph, backend=backend, device=device, precision=precision)
    tracker = Tracker(detector, config, box=first_box)
    edit = None
    if moves:
        from lmsdk.runtime import ShapeEditor

        edit = (ShapeEditor(artifact, backend=backend, device=device), as_moves(moves, detector.num_landmarks))
    with VideoSource(source) as video, Progress(transient=True) as progress:
        check_box_overlaps(first_box, *video.size, f"the frames of {source}")
        task = progress.add_task("tracking", total=video.frame_count)
        summary = track_video(
            tracker, video, out=out, csv_path=csv_path, show=show, on_frame=lambda r: progress.advance(task), edit=edit
        )
    typer.echo(
        f"{summary.frames} frames, object found in {summary.found}; pipeline {summary.pipeline_fps:.1f} fps; "
        f"per frame: tracking {summary.tracking_ms:.2f} ms (model {summary.inference_ms:.2f} ms, "
        f"{detector.graph} {detector.precision} on {detector.backend_name}), decoding {summary.decode_ms:.2f} ms, "
        f"drawing and writing {summary.draw_ms:.2f} ms"
    )
    for path in summary.outputs:
        typer.echo(f"wrote {path}")


@app.command()
def edit(
    artifact: ArtifactArg,
    image: Annotated[Path, typer.Argument(help="The image to edit.")],
    move: Annotated[
        list[str],
        typer.Option(
            "--move", help="K:DX,DY moves landmark K by (DX, DY) pixels of the image; repeat for more landmarks."
        ),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", help=f"Write the edited (decoded) crop here (.png, .jpg, ...; {REPLACED})."),
    ],
    box: CropBox = None,
    compare: Annotated[
        Path | None,
        typer.Option(
            "--compare",
            help=f"Also write input | reconstruction | edit side by side, landmarks drawn ({REPLACED}).",
        ),
    ] = None,
    backend: RuntimeBackend = "auto",
    device: RuntimeDevice = "cpu",
) -> None:
    """Move landmarks and re-decode the image: the paper's shape manipulation."""
    from lmsdk.images import read_image, write_image
    from lmsdk.runtime import ShapeEditor
    from lmsdk.viz import edit_sheet

    moves, crop = parse_moves(move), parse_box(box)
    inputs = [image, *artifact_files(artifact)]
    check_output_file(out, option="--out", inputs=inputs, suffixes=IMAGE_SUFFIXES)
    if compare is not None:
        check_output_file(compare, option="--compare", inputs=inputs, suffixes=IMAGE_SUFFIXES)
    distinct(out=out, compare=compare)
    picture = read_image(image)
    check_box_overlaps(crop, picture.shape[1], picture.shape[0], str(image))
    editor = ShapeEditor(artifact, backend=backend, device=device)
    result = editor.edit(picture, moves, crop)
    write_image(out, result.image)
    typer.echo(f"wrote {out}")
    if compare is not None:
        sheet = edit_sheet(
            result.original, result.reconstruction, result.image, result.code.normalized, result.landmarks, list(moves)
        )
        write_image(compare, sheet)
        typer.echo(f"wrote {compare}")


@app.command()
def morph(
    artifact: ArtifactArg,
    image_a: Annotated[Path, typer.Argument(help="The start image.")],
    image_b: Annotated[Path, typer.Argument(help="The end image.")],
    out: Annotated[Path, typer.Option("--out", help=f"Write the morph video here (.mp4 or .avi; {REPLACED}).")],
    frames: Annotated[int, typer.Option("--frames", help="Number of frames, both ends included (2 or more).")] = 30,
    fps: Annotated[float, typer.Option("--fps", help="Frame rate of the video.")] = 15.0,
    appearance: Annotated[
        str,
        typer.Option(
            "--appearance", help="'a': keep A's descriptors (shape changes only); 'blend': interpolate them too."
        ),
    ] = "a",
    scale: Annotated[int, typer.Option("--scale", help="Enlarge the decoded frames by this factor (1 or more).")] = 4,
    backend: RuntimeBackend = "auto",
    device: RuntimeDevice = "cpu",
) -> None:
    """Morph A's landmarks into B's through the decoder and write the sequence as a video."""
    import cv2

    from lmsdk.images import read_image
    from lmsdk.runtime import ShapeEditor, VideoSink

    if scale < 1:
        raise ConfigError(f"--scale {scale}: a whole number, 1 or more")
    check_output_file(out, option="--out", inputs=[image_a, image_b, *artifact_files(artifact)], suffixes=VIDEO_WRITERS)
    a, b = read_image(image_a), read_image(image_b)
    editor = ShapeEditor(artifact, backend=backend, device=device)
    sequence = editor.morph(a, b, frames, appearance=appearance)
    with VideoSink(out, fps) as sink:
        for frame in sequence:
            sink.write(cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC))
    typer.echo(f"wrote {out} ({len(sequence)} frames)")


@app.command("demo-video")
def demo_video(
    out: Annotated[Path, typer.Argument(help=f"Video file to write (.avi: MJPG, .mp4: mp4v; {REPLACED}).")],
    motion: Annotated[str, typer.Option("--motion", help="still, drift or exit (leaves and comes back).")] = "drift",
    frames: Annotated[int, typer.Option("--frames", help="Number of frames (1 or more).")] = 150,
    width: Annotated[int, typer.Option("--width", help="Frame width in pixels.")] = 320,
    height: Annotated[int, typer.Option("--height", help="Frame height in pixels.")] = 240,
    seed: Annotated[int, typer.Option("--seed", help="Which synthetic face.")] = 0,
    shake: Annotated[
        float, typer.Option("--shake", help="Pixels: a random offset of the face in every frame (a shaking camera).")
    ] = 0.0,
) -> None:
    """Write a synthetic video of a moving cartoon face (known motion) to try the tracker on."""
    from lmsdk.data.clips import ClipSpec, write_clip

    spec = ClipSpec(width=width, height=height, frames=frames, motion=motion, seed=seed, shake=shake)
    check_output_file(out, option="OUT", suffixes=VIDEO_WRITERS)
    write_clip(out, spec)
    typer.echo(f"wrote {out}")
