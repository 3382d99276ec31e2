"""``lmsdk track``, ``edit``, ``morph`` and ``demo-video``: the runtime commands (no torch)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lmsdk.cli import app
from lmsdk.errors import ConfigError


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
        float,
        typer.Option(
            "--min-confidence",
            help="Mean landmark confidence under which the object counts as lost (lowered to half the model's "
            "typical confidence on its training crops when that is lower).",
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
    edit = None
    if move:
        from lmsdk.runtime import ShapeEditor

        edit = (ShapeEditor(artifact, backend=backend, device=device), dict(_parse_move(m) for m in move))
    with VideoSource(source) as video, Progress(transient=True) as progress:
        task = progress.add_task("tracking", total=video.frame_count)
        summary = track_video(
            tracker,
            video,
            out=out,
            csv_path=csv_path,
            show=show,
            on_frame=lambda r: progress.advance(task),
            edit=edit,
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
