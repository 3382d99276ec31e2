"""Drawing landmarks (numpy + OpenCV only; shared by the trainer's sample grids and the runtime overlays).

Points passed here are OpenCV pixel coordinates of the image drawn on (see ``lmsdk.geometry``). Images are
RGB, lmsdk's inside order, unless a function says BGR (the runtime's overlays). ``write_image`` writes an RGB
image (:func:`lmsdk.images.write_image_rgb`).
"""

from __future__ import annotations

import colorsys

import cv2
import numpy as np

from lmsdk.images import write_image_rgb as write_image

__all__ = ["draw_landmarks", "draw_named", "edit_sheet", "generation_row", "palette", "tile", "write_image"]


def palette(n: int) -> list[tuple[int, int, int]]:
    """``n`` well-separated RGB colours; landmark k always gets colour k."""
    colors = []
    for k in range(n):
        h = (k * 0.618033988749895) % 1.0
        r, g, b = colorsys.hsv_to_rgb(h, 0.85, 1.0)
        colors.append((int(r * 255), int(g * 255), int(b * 255)))
    return colors


def draw_landmarks(
    image: np.ndarray, points: np.ndarray, *, radius: int = 3, bgr: bool = False, labels: bool = False
) -> np.ndarray:
    """Draw ``(K, 2)`` pixel points on a copy of an HxWx3 uint8 image as coloured crosses with an outline.

    Args:
        image: RGB (or BGR with ``bgr=True``) uint8 image.
        points: ``(K, 2)`` OpenCV pixel coordinates; NaN points are skipped.
        radius: half-length of each cross arm in pixels.
        labels: write each landmark's index beside it.
    """
    out = np.ascontiguousarray(image.copy())
    shift = 4
    for k, ((x, y), color) in enumerate(zip(points, palette(len(points)), strict=True)):
        if not (np.isfinite(x) and np.isfinite(y)):
            continue
        c = color[::-1] if bgr else color
        cx, cy = round(x * (1 << shift)), round(y * (1 << shift))
        r = radius * (1 << shift)
        for thickness, col in ((3, (0, 0, 0)), (1, c)):
            cv2.line(out, (cx - r, cy), (cx + r, cy), col, thickness, cv2.LINE_AA, shift)
            cv2.line(out, (cx, cy - r), (cx, cy + r), col, thickness, cv2.LINE_AA, shift)
        if labels:
            cv2.putText(
                out, str(k), (int(x) + radius + 1, int(y) - radius), cv2.FONT_HERSHEY_SIMPLEX, 0.35, c, 1, cv2.LINE_AA
            )
    return out


def draw_named(
    image: np.ndarray, points: np.ndarray, names: tuple[str, ...] | list[str], *, radius: int = 3, labels: bool = True
) -> np.ndarray:
    """Draw ``(P, 2)`` named pixel points on a copy of an HxWx3 uint8 image: white discs with a dark rim (apart
    from the coloured crosses of :func:`draw_landmarks`), each with its name when ``labels``; NaN points are
    skipped. Colour-order free (white and black)."""
    out = np.ascontiguousarray(image.copy())
    for (x, y), name in zip(points, names, strict=True):
        if not (np.isfinite(x) and np.isfinite(y)):
            continue
        centre = (round(x), round(y))
        cv2.circle(out, centre, radius + 1, (0, 0, 0), -1, cv2.LINE_AA)
        cv2.circle(out, centre, radius, (255, 255, 255), -1, cv2.LINE_AA)
        if labels:
            org = (round(x) + radius + 2, round(y) + radius + 2)
            cv2.putText(out, name, org, cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 0), 2, cv2.LINE_AA)
            cv2.putText(out, name, org, cv2.FONT_HERSHEY_SIMPLEX, 0.35, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def tile(images: list[np.ndarray], columns: int, pad: int = 2, value: int = 255) -> np.ndarray:
    """Arrange equally sized HxWx3 images in a grid with ``pad`` pixels between them."""
    h, w, c = images[0].shape
    rows = (len(images) + columns - 1) // columns
    grid = np.full((rows * (h + pad) + pad, columns * (w + pad) + pad, c), value, np.uint8)
    for i, im in enumerate(images):
        r, col = divmod(i, columns)
        grid[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + col * (w + pad) : pad + col * (w + pad) + w] = im
    return grid


def edit_sheet(
    original: np.ndarray,
    reconstruction: np.ndarray,
    edited: np.ndarray,
    before: np.ndarray,
    after: np.ndarray,
    moved: list[int],
    scale: int = 4,
) -> np.ndarray:
    """Input | reconstruction | edit, enlarged, with landmarks drawn and arrows for the moved ones (BGR in, out).

    ``before`` and ``after`` are ``(K, 2)`` normalised crop coordinates.
    """
    s = original.shape[0]
    size = s * scale

    def up(image: np.ndarray) -> np.ndarray:
        return cv2.resize(image, (size, size), interpolation=cv2.INTER_CUBIC)

    to_px = np.array([size, size]) * 1.0
    p0, p1 = before * to_px - 0.5, after * to_px - 0.5
    tiles = [
        draw_landmarks(up(original), p0, bgr=True),
        draw_landmarks(up(reconstruction), p0, bgr=True),
        draw_landmarks(up(edited), p1, bgr=True),
    ]
    for k in moved:
        a, b = tuple(int(v) for v in p0[k]), tuple(int(v) for v in p1[k])
        cv2.arrowedLine(tiles[2], a, b, (255, 255, 255), 2, cv2.LINE_AA, tipLength=0.25)
    return tile(tiles, columns=3)


def generation_row(
    reference: np.ndarray, landmarks: np.ndarray, images: np.ndarray, scale: int = 2
) -> list[np.ndarray]:
    """Tiles for one reference: its crop with its landmarks drawn, then the images generated with them, all
    enlarged ``scale`` times (BGR in, out). ``landmarks`` are ``(K, 2)`` normalised crop coordinates; lay several
    rows out with :func:`tile` (``columns = len(images) + 1``)."""
    size = reference.shape[0] * scale

    def up(image: np.ndarray) -> np.ndarray:
        return cv2.resize(image, (size, size), interpolation=cv2.INTER_CUBIC)

    points = landmarks * np.array([size, size]) - 0.5
    return [draw_landmarks(up(reference), points, bgr=True), *(up(im) for im in images)]
