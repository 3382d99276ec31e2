"""Parsers and checks shared by the commands: boxes, landmark moves, the files an artifact consists of.

Torch-free and light (the runtime commands import it before deciding what else to load).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from lmsdk.errors import ConfigError, OutputError
from lmsdk.geometry import Box
from lmsdk.outputs import same_path

RuntimeBackend = Annotated[
    str, typer.Option("--backend", help="auto, onnxruntime or tensorrt (tensorrt fails if it cannot run TensorRT).")
]
RuntimeDevice = Annotated[str, typer.Option("--device", help="cpu or cuda.")]
CropBox = Annotated[
    str | None,
    typer.Option("--box", help="The crop x0,y0,x1,y1 in pixels of the image; default: its largest centred square."),
]
ArtifactArg = Annotated[
    Path,
    typer.Argument(
        help="An artifact directory written by lmsdk export, or the name of a shipped model such as 'faces' "
        "(lmsdk models lists them; an existing path wins over a name)."
    ),
]


def parse_box(text: str | None) -> Box | None:
    """``"x0,y0,x1,y1"`` (pixels) -> a :class:`Box`; None stays None."""
    if text is None:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in text.split(","))
    except ValueError:
        raise ConfigError(f"--box {text!r}: expected x0,y0,x1,y1 in pixels") from None
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        raise ConfigError(f"--box {text!r}: the four numbers must be finite")
    if x1 <= x0 or y1 <= y0:
        raise ConfigError(f"--box {text!r}: x1 must exceed x0 and y1 must exceed y0")
    return Box.from_xyxy(x0, y0, x1, y1)


def check_box_overlaps(box: Box | None, width: int, height: int, what: str) -> None:
    """Refuse a ``--box`` that does not overlap the ``width`` x ``height`` picture ``what`` at all (its crop
    would be padding only, and every landmark found in it meaningless); a box partly outside is fine."""
    if box is None or width <= 0 or height <= 0:
        return
    if not box.overlaps(width, height):
        x0, y0, x1, y1 = box.to_xyxy()
        raise ConfigError(f"--box {x0:g},{y0:g},{x1:g},{y1:g}: entirely outside {what} ({width} x {height} pixels)")


def parse_moves(texts: list[str] | None) -> dict[int, tuple[float, float]]:
    """Repeated ``K:DX,DY`` -> ``{K: (DX, DY)}``; the indices and finiteness are checked against the model later
    (:func:`lmsdk.runtime.inputs.as_moves`)."""
    moves: dict[int, tuple[float, float]] = {}
    for text in texts or []:
        try:
            index, delta = text.split(":")
            dx, dy = delta.split(",")
            k, shift = int(index), (float(dx), float(dy))
        except ValueError:
            raise ConfigError(f"--move {text!r}: expected K:DX,DY (landmark index, shift in pixels)") from None
        if k in moves:
            raise ConfigError(f"--move {text!r}: landmark {k} is moved twice")
        moves[k] = shift
    return moves


def artifact_files(artifact: Path) -> list[Path]:
    """The artifact folder (or the shipped model a name stands for) and every file in it: what an output of a
    runtime command must not overwrite."""
    from lmsdk.zoo import resolve

    folder = resolve(artifact)
    return [folder, *(p for p in folder.rglob("*") if p.is_file())] if folder.is_dir() else [folder]


def distinct(**outputs: Path | None) -> None:
    """Refuse two options that name the same output file (``--out x.png --compare x.png``)."""
    named = [(option, path) for option, path in outputs.items() if path is not None]
    for i, (first, a) in enumerate(named):
        for second, b in named[i + 1 :]:
            if same_path(a, b):
                raise OutputError(f"--{second} {b}: the same file as --{first}; give each output its own path")
