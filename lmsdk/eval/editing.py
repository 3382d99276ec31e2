"""Whether shape editing works, measured (numpy over the torch-free runtime: any exported artifact).

Three figures (``benchmarks/editing.py`` prints them for an artifact and a list of images):

**Edit accuracy.** Move landmark k of an image by d crop pixels in a direction u, decode, and re-detect the
landmarks on the edited image and on the plain reconstruction (the *reference*: the same decoder with the
landmarks unmoved, so the decoder's own bias cancels). With ``delta_j`` the re-detected displacement of
landmark j (edited minus reference, crop pixels):

- ``along = <delta_k, u> / d``: the fraction of the move that landmark k travelled along it (1: it went
  where it was sent; 0: the decoder ignored the move);
- ``across = |delta_k x u| / d``: its drift across the move;
- ``others = mean_{j != k} |delta_j| / d``: how far the other landmarks followed (0: nothing else changed).

Each figure is a mean over images, landmarks k and directions u (the four axis directions by default),
for each move length d. A *translation* (all K landmarks moved together by d) reports ``along`` over all
landmarks: how much of a global shift the decoder draws.

**Sharpness.** The ratio of the image gradient energy (mean squared Sobel magnitude of the grey image in
[0, 1]) of decoded images to that of their inputs: 1 is as sharp as the input, an L2-trained decoder draws
far less. Also split by region: inside the box around each input's detected landmarks (widened by
:data:`FACE_MARGIN` of its longer side on every side: the face the landmarks describe) and outside it (hair,
background: what the decoder is not told about). Sharpness counts any edge, the input's or not, so the report
gives beside it the reconstructions' mean absolute error (``reconstruction_error``, pixel values in [0, 1]).

Generated images are measured in :mod:`lmsdk.eval.generation` (which reuses the sharpness figure).

Coordinates: landmarks are normalised ``(x, y)`` in the crop frame (``lmsdk.ops.coords``); moves and
displacements are in pixels of the model's crop (side S). Images at this module's boundary are OpenCV BGR
uint8 crops, as the runtime returns them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import cv2
import numpy as np

from lmsdk.errors import InputError
from lmsdk.geometry import Box

DIRECTIONS = ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))  # right, down, left, up


class EditModel(Protocol):
    """What edit accuracy needs of a model: encode a crop, decode landmark sets with its code, detect."""

    num_landmarks: int
    size: int  # S, the crop side in pixels

    def encode(self, crop: np.ndarray) -> Any:
        """The code of one ``(S, S, 3)`` BGR uint8 crop (opaque to this module)."""

    def decode(self, code: Any, landmarks: np.ndarray) -> np.ndarray:
        """``(N, S, S, 3)`` BGR uint8 crops decoded from ``(N, K, 2)`` normalised landmarks with ``code``."""

    def landmarks(self, code: Any) -> np.ndarray:
        """The ``(K, 2)`` normalised landmarks of a code."""

    def detect(self, crops: np.ndarray) -> np.ndarray:
        """``(N, K, 2)`` normalised landmarks detected on ``(N, S, S, 3)`` BGR uint8 crops."""


class ReconstructingEditModel(EditModel, Protocol):
    """An :class:`EditModel` that also reconstructs crops (for the sharpness figure)."""

    def reconstruct(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """``(N, S, S, 3)`` BGR reconstructions of ``(S, S, 3)`` BGR crops."""


@dataclass(frozen=True)
class MoveFigures:
    """Edit accuracy for one move length (see the module docstring)."""

    move_px: float  # d, crop pixels
    along: float  # mean fraction of the move travelled along it by the moved landmark(s)
    across: float  # mean drift across the move, over d
    others: float  # mean displacement of the landmarks not moved, over d (nan for a translation)
    edits: int  # edits measured


@dataclass(frozen=True)
class EditingReport:
    """Edit accuracy of single-landmark moves and of translations, per move length, and sharpness."""

    single: tuple[MoveFigures, ...]
    translation: tuple[MoveFigures, ...]
    along_per_landmark: tuple[float, ...]  # along for each landmark k, at the smallest move length
    sharpness: float  # gradient energy of reconstructions over that of their inputs
    images: int
    crop_size: int
    sharpness_face: float = float("nan")  # the same ratio inside the landmarks' box (see landmark_box_mask)
    sharpness_rest: float = float("nan")  # and outside it
    # Mean absolute difference of the reconstructions from their inputs (pixel values in [0, 1]): sharpness
    # counts any edge, faithful or not, so it is read beside this.
    reconstruction_error: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def move_figures(
    reference: np.ndarray, edited: np.ndarray, moved: np.ndarray, shift_px: np.ndarray, crop_size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-edit ``along``, ``across`` and ``others`` (see the module docstring).

    Args:
        reference: ``(N, K, 2)`` normalised landmarks re-detected on the reconstructions.
        edited: ``(N, K, 2)`` normalised landmarks re-detected on the edited images.
        moved: ``(N, K)`` bool: which landmarks each edit moved (all of them: a translation).
        shift_px: ``(N, 2)`` the move of each edit in crop pixels (the same for every moved landmark).
        crop_size: S.

    Returns:
        ``along (N,)``, ``across (N,)`` (means over the moved landmarks) and ``others (N,)`` (the mean over the
        landmarks not moved; nan when every landmark moved).
    """
    delta = (edited - reference) * crop_size  # (N, K, 2) crop pixels
    d = np.linalg.norm(shift_px, axis=-1)  # (N,)
    if np.any(d <= 0):
        raise InputError("every edit needs a move longer than 0 px")
    u = shift_px / d[:, None]
    parallel = (delta * u[:, None, :]).sum(-1) / d[:, None]  # (N, K)
    perpendicular = np.abs(delta[..., 0] * u[:, None, 1] - delta[..., 1] * u[:, None, 0]) / d[:, None]
    count = moved.sum(1)
    along = (parallel * moved).sum(1) / count
    across = (perpendicular * moved).sum(1) / count
    rest = ~moved
    with np.errstate(invalid="ignore", divide="ignore"):
        others = (np.linalg.norm(delta, axis=-1) * rest).sum(1) / rest.sum(1) / d
    return along, across, others


def measure_edits(
    model: EditModel,
    crops: Sequence[np.ndarray],
    moves_px: Sequence[float] = (4.0, 8.0),
    landmarks: Sequence[int] | None = None,
    directions: Sequence[tuple[float, float]] = DIRECTIONS,
) -> tuple[list[MoveFigures], list[MoveFigures], list[float]]:
    """Edit accuracy of ``model`` on ``(S, S, 3)`` BGR uint8 crops.

    Every crop is encoded once; for each move length, each landmark in ``landmarks`` (default all) and each
    direction, the landmark is moved and decoded, and all K landmarks are moved together for each direction
    (a translation). All decodes of a crop, and the reference, go through the decoder and the detector in one
    batch each.

    Returns:
        Single-landmark figures and translation figures (one :class:`MoveFigures` per move length), and
        ``along`` per landmark at the smallest move length (nan for landmarks not moved).
    """
    k_all = model.num_landmarks
    picked = list(range(k_all)) if landmarks is None else [int(k) for k in landmarks]
    if not picked or any(not 0 <= k < k_all for k in picked):
        raise InputError(f"landmarks to move must be indices in [0, {k_all}), got {landmarks}")
    if not moves_px or any(not d > 0 for d in moves_px):
        raise InputError(f"move lengths must be > 0 px, got {moves_px}")
    if not crops:
        raise InputError("edit accuracy needs at least one image")
    units = np.asarray(directions, np.float64)
    units = units / np.linalg.norm(units, axis=1, keepdims=True)
    # The edits of one crop: (move length, landmark or all, direction) -> which moved, shift in pixels.
    plan: list[tuple[float, int, np.ndarray, np.ndarray]] = []  # (d, k or -1, moved (K,), shift (2,))
    for d in moves_px:
        for k in [*picked, -1]:
            moved = np.ones(k_all, bool) if k < 0 else np.eye(k_all, dtype=bool)[k]
            plan += [(float(d), k, moved, u * d) for u in units]
    moved_all = np.stack([p[2] for p in plan])  # (E, K)
    shifts = np.stack([p[3] for p in plan])  # (E, 2)
    size = model.size
    results: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for crop in crops:
        code = model.encode(crop)
        base = model.landmarks(code).astype(np.float64)
        targets = base[None] + moved_all[..., None] * shifts[:, None, :] / size  # (E, K, 2)
        decoded = model.decode(code, np.concatenate([base[None], targets]).astype(np.float32))
        found = model.detect(decoded).astype(np.float64)  # (E + 1, K, 2)
        reference = np.repeat(found[:1], len(plan), axis=0)
        results.append(move_figures(reference, found[1:], moved_all, shifts, size))
    along, across, others = (np.stack([r[i] for r in results]) for i in range(3))  # (images, E)
    lengths = np.array([p[0] for p in plan])
    which = np.array([p[1] for p in plan])
    single, translation = [], []
    for d in moves_px:
        for rows, target in ((which >= 0, single), (which < 0, translation)):
            cols = (lengths == float(d)) & rows
            target.append(
                MoveFigures(
                    float(d),
                    float(along[:, cols].mean()),
                    float(across[:, cols].mean()),
                    float(np.nanmean(others[:, cols])) if target is single else float("nan"),
                    int(cols.sum() * len(crops)),
                )
            )
    smallest = lengths == float(min(moves_px))
    per_landmark = [
        float(along[:, smallest & (which == k)].mean()) if k in picked else float("nan") for k in range(k_all)
    ]
    return single, translation, per_landmark


FACE_MARGIN = 0.15  # the landmarks' box is widened by this fraction of its longer side on every side


def gradient_energy(images: np.ndarray) -> np.ndarray:
    """``(N,)`` mean squared Sobel gradient magnitude of ``(N, H, W, 3)`` (or one ``(H, W, 3)``) uint8 images,
    on their grey level in [0, 1] (interior pixels only: no border convention)."""
    return gradient_energy_map(images).mean(axis=(1, 2))


def gradient_energy_map(images: np.ndarray) -> np.ndarray:
    """``(N, H - 2, W - 2)`` squared Sobel gradient magnitude of ``(N, H, W, 3)`` (or one ``(H, W, 3)``) uint8
    images on their grey level in [0, 1]; entry ``(i, j)`` belongs to pixel ``(row i + 1, column j + 1)``."""
    x = np.asarray(images, np.float64)
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.shape[-1] != 3 or min(x.shape[1:3]) < 3:
        raise InputError(f"expected (N, H, W, 3) images of at least 3x3 pixels, got shape {np.shape(images)}")
    grey = x.mean(-1) / 255.0
    # Sobel: smooth [1, 2, 1] across, difference [-1, 0, 1] along.
    smooth_rows = grey[:, :-2] + 2 * grey[:, 1:-1] + grey[:, 2:]  # (N, H-2, W)
    gx = smooth_rows[:, :, 2:] - smooth_rows[:, :, :-2]
    smooth_cols = grey[:, :, :-2] + 2 * grey[:, :, 1:-1] + grey[:, :, 2:]  # (N, H, W-2)
    gy = smooth_cols[:, 2:] - smooth_cols[:, :-2]
    return gx**2 + gy**2


def sharpness_ratio(decoded: np.ndarray, inputs: np.ndarray, region: np.ndarray | None = None) -> float:
    """Gradient energy of decoded images over that of their inputs (both ``(N, H, W, 3)`` uint8; ratio of the
    means over the images), over the pixels where the ``(N, H, W)`` bool ``region`` is set (default: all)."""
    if np.shape(decoded) != np.shape(inputs):
        raise InputError(f"decoded {np.shape(decoded)} and input {np.shape(inputs)} images differ in shape")
    decoded_map, input_map = gradient_energy_map(decoded), gradient_energy_map(inputs)
    if region is not None:
        if np.shape(region) != np.shape(inputs)[:3]:
            raise InputError(f"region {np.shape(region)} does not match the images {np.shape(inputs)}")
        inner = np.asarray(region, bool)[:, 1:-1, 1:-1]
        if not inner.any():
            raise InputError("the region holds no interior pixel: sharpness is undefined")
        decoded_map, input_map = decoded_map[inner], input_map[inner]
    reference = input_map.mean()
    if reference <= 0:
        raise InputError("the input images are flat (no gradient): sharpness is undefined")
    return float(decoded_map.mean() / reference)


def blur_reference(inputs: np.ndarray, sigmas: Sequence[float]) -> dict[float, float]:
    """The sharpness (:func:`sharpness_ratio`) of the ``(N, H, W, 3)`` uint8 inputs themselves blurred by a
    Gaussian of each standard deviation in ``sigmas`` (pixels, > 0): a scale for reading a decoder's figure
    (which blur of a perfect reconstruction it draws as sharply as)."""
    images = np.asarray(inputs)
    if any(not s > 0 for s in sigmas):
        raise InputError(f"blur sigmas must be > 0 pixels, got {list(sigmas)}")
    return {
        float(s): sharpness_ratio(np.stack([cv2.GaussianBlur(im, (0, 0), float(s)) for im in images]), images)
        for s in sigmas
    }


def landmark_box_mask(landmarks: np.ndarray, size: int, margin: float = FACE_MARGIN) -> np.ndarray:
    """``(N, S, S)`` bool: the pixels inside the box around each of ``(N, K, 2)`` normalised landmarks (crop
    frame of side ``size`` S), widened by ``margin`` of the box's longer side on every side."""
    points = np.asarray(landmarks, np.float64) * size - 0.5  # pixel frame: pixel centres at integers
    low, high = points.min(axis=1), points.max(axis=1)  # (N, 2) each
    pad = margin * (high - low).max(axis=1, keepdims=True)  # (N, 1)
    low, high = low - pad, high + pad
    centres = np.arange(size, dtype=np.float64)
    inside_x = (centres >= low[:, :1]) & (centres <= high[:, :1])  # (N, S) over columns
    inside_y = (centres >= low[:, 1:]) & (centres <= high[:, 1:])  # (N, S) over rows
    return inside_y[:, :, None] & inside_x[:, None, :]


class RuntimeEditModel:
    """:class:`EditModel` over an exported artifact: the runtime's encoder, decoder and detector (onnxruntime).

    Crops are whole images: a crop of side S is the model's crop, so image pixels are crop pixels.
    """

    def __init__(self, editor: Any, detector: Any) -> None:
        """``editor``: a :class:`~lmsdk.runtime.ShapeEditor`; ``detector``: a :class:`~lmsdk.runtime.Detector` of
        the same artifact."""
        self.editor, self.detector = editor, detector
        self.num_landmarks = editor.num_landmarks
        self.size = editor.size

    def encode(self, crop: np.ndarray) -> Any:
        return self.editor.encode(crop)

    def landmarks(self, code: Any) -> np.ndarray:
        return code.normalized

    def decode(self, code: Any, landmarks: np.ndarray) -> np.ndarray:
        n = len(landmarks)
        descriptors = None if code.descriptors is None else np.repeat(code.descriptors[None], n, 0)
        return self.editor.decoder(landmarks, descriptors)

    def detect(self, crops: np.ndarray) -> np.ndarray:
        whole = Box(0.0, 0.0, float(self.size), float(self.size))
        return np.stack([r.normalized for r in self.detector.batch(list(crops), [whole] * len(crops))])

    def reconstruct(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """``(N, S, S, 3)`` BGR reconstructions of crops (their own landmarks and descriptors)."""
        out = []
        for crop in crops:
            code = self.encode(crop)
            out.append(self.decode(code, code.normalized[None])[0])
        return np.stack(out)


def editing_report(
    model: ReconstructingEditModel,
    crops: Sequence[np.ndarray],
    moves_px: Sequence[float] = (4.0, 8.0),
    landmarks: Sequence[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> EditingReport:
    """Edit accuracy and sharpness of an artifact (:class:`RuntimeEditModel`) or of the warp ceiling
    (:class:`~lmsdk.eval.warp_edits.WarpEditModel`) on ``(S, S, 3)`` BGR uint8 crops (``progress(done, total)``
    is called after each crop)."""
    single_runs, translation_runs, per_landmark_runs = [], [], []
    for i, crop in enumerate(crops):
        single, translation, per_landmark = measure_edits(model, [crop], moves_px, landmarks)
        single_runs.append(single)
        translation_runs.append(translation)
        per_landmark_runs.append(per_landmark)
        if progress is not None:
            progress(i + 1, len(crops))

    def mean_of(runs: list[list[MoveFigures]]) -> tuple[MoveFigures, ...]:
        merged = []
        for j, d in enumerate(moves_px):
            rows = [r[j] for r in runs]
            merged.append(
                MoveFigures(
                    float(d),
                    float(np.mean([r.along for r in rows])),
                    float(np.mean([r.across for r in rows])),
                    float(np.mean([r.others for r in rows])),
                    sum(r.edits for r in rows),
                )
            )
        return tuple(merged)

    inputs = np.stack(crops)
    decoded = model.reconstruct(crops)
    face = landmark_box_mask(model.detect(inputs), model.size)

    def region_sharpness(region: np.ndarray) -> float:  # nan where the region is empty or flat in the inputs
        try:
            return sharpness_ratio(decoded, inputs, region)
        except InputError:
            return float("nan")

    return EditingReport(
        mean_of(single_runs),
        mean_of(translation_runs),
        tuple(float(v) for v in np.mean(per_landmark_runs, axis=0)),
        sharpness_ratio(decoded, inputs),
        len(crops),
        model.size,
        region_sharpness(face),
        region_sharpness(~face),
        float(np.abs(decoded.astype(np.float64) - inputs).mean() / 255.0),
    )
