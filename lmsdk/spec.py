"""The artifact contract between ``lmsdk export`` (writer) and ``lmsdk.runtime`` (reader). Stdlib only.

An artifact directory holds ``detector.onnx``, ``encoder.onnx``, ``decoder.onnx`` (their fp16 twins, an int8
detector and TensorRT engines with a sidecar JSON each when exported with them; ``prior.onnx`` for a model with
descriptors; ``generator.onnx`` when exported from a generator run; ``tracker.onnx``, a distilled lite detector
for video, when exported from a distilled run) plus ``manifest.json``, and may carry attachments:
``reference.npz`` (a few inputs and the PyTorch outputs recorded at export, for checking the graphs anywhere),
``weights/`` (the PyTorch weights, to fine-tune from) and ``MODEL_CARD.md``. The runtime reads everything it needs
from the manifest and never guesses: an unknown schema, a missing file or a file whose hash differs is refused.

Tensors (all float32 at the boundary; N is the only dynamic dimension):
    detector  image (N, 3, S, S) -> landmarks (N, K, 2), confidence (N, K) [, named (N, P, 2)]
    tracker   the same tensors as the detector                   [optional: a distilled run's lite detector]
    encoder   image (N, 3, S, S) -> landmarks (N, K, 2), descriptors (N, K + 1, C)   [C = 0: no descriptors]
    decoder   landmarks (N, K, 2), descriptors (N, K + 1, C) -> image (N, 3, S, S)
    prior     landmarks (N, K, 2), noise (N, Z') -> descriptors (N, K + 1, C)   [optional: models with descriptors]
    generator landmarks (N, K, 2), latent (N, Z) -> image (N, 3, S, S)   [optional: a generator run's export]
Images are RGB in [0, 1], NCHW, the square crop of side S; the graphs pad it themselves. Landmarks are
normalised (x, y) in the crop: the centre of pixel column i is x = (i + 0.5) / S. The generator's latent is
drawn from an isotropic Gaussian N(0, I) of Z dimensions (the manifest's ``generator.latent_dim``); so is the
prior's noise, of Z' dimensions (``prior.latent_dim``): the prior turns it into descriptors of a new object with
the given landmarks (:mod:`lmsdk.model.prior`), which the decoder draws.

The generator, the prior, the tracker, the attachments and the licence are optional parts (schema 1 still): a
manifest without them is what earlier lmsdk versions wrote, and an earlier lmsdk reading a manifest with them
ignores their entries and files (the prior's input is named ``noise``, not ``latent``, so that an earlier lmsdk's
shape check never compares it with a generator's latent).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lmsdk.errors import ArtifactError

SCHEMA_VERSION = 1
MANIFEST_FILE = "manifest.json"
COMPONENTS = ("detector", "encoder", "decoder")
GENERATOR = "generator"
PRIOR = "prior"
TRACKER = "tracker"
# Present only in some artifacts: a generator run's, models with descriptors, a distilled run's.
OPTIONAL_COMPONENTS = (GENERATOR, PRIOR, TRACKER)
DETECTORS = ("detector", TRACKER)  # the graphs that find landmarks in images (the same tensors)
# Attachments: files that are not graphs, listed with their hashes (manifest ``attachments``).
REFERENCE = "reference"  # reference.npz: inputs and PyTorch outputs recorded at export
WEIGHTS = "weights"  # weights/model.safetensors: the PyTorch weights (lmsdk train --init ARTIFACT)
WEIGHTS_CONFIG = "weights_config"  # weights/model_config.json: their model config
CARD = "card"  # MODEL_CARD.md
COLOR_ORDERS = ("RGB", "BGR")
COORDINATES = "xy; normalised [0, 1] over the S x S crop; pixel column i has its centre at (i + 0.5) / S"


@dataclass(frozen=True)
class TensorSpec:
    name: str
    shape: tuple[int | str, ...]  # "N" marks the dynamic batch dimension
    dtype: str = "float32"


@dataclass(frozen=True)
class ModelFile:
    """One exported graph (or engine) of a component."""

    file: str
    sha256: str
    precision: str  # "fp32", "fp16" or "int8" (fp16 and int8 graphs keep fp32 inputs and outputs)
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    macs: int | None = None  # multiply-adds per image, counted at export (None: an older artifact)


@dataclass(frozen=True)
class Attachment:
    """A file of an artifact that is not a graph (reference outputs, weights, model card)."""

    file: str
    sha256: str


@dataclass(frozen=True)
class InputSpec:
    """How a runtime turns a picture into the graph's input: the exact twin of training."""

    crop_size: int  # S
    padded_size: int  # the graphs mean-edge pad the crop to this size inside
    color_order: str = "RGB"
    scale: float = 1.0 / 255.0  # uint8 * scale -> [0, 1]; no mean / std normalisation
    layout: str = "NCHW"
    resize: str = "bilinear, area-averaged first when shrinking by 2x or more (lmsdk.data.transforms)"


@dataclass(frozen=True)
class Framing:
    """Where the landmarks sit within the crop on the training data (normalised crop coordinates).

    The tracker uses it to choose the next crop from the landmarks it just found, so that the object keeps
    the framing the model was trained on.
    """

    mean: tuple[tuple[float, float], ...]  # (K, 2) mean position of each landmark
    std: tuple[tuple[float, float], ...]  # (K, 2) spread of each landmark
    images: int  # how many training crops the statistics come from
    confidence: float | None = None  # median over those crops of the mean landmark confidence

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Framing:
        """From ``landmark_stats.json`` or a manifest's ``framing`` (``confidence`` is optional: older runs)."""
        confidence = data.get("confidence")
        return cls(
            tuple(map(tuple, data["mean"])),
            tuple(map(tuple, data["std"])),
            int(data["images"]),
            None if confidence is None else float(confidence),
        )


@dataclass(frozen=True)
class Manifest:
    """Everything a runtime needs to run an artifact; ``manifest.json``."""

    schema_version: int
    lmsdk_version: str
    created_utc: str
    num_landmarks: int
    descriptor_dim: int
    input: InputSpec
    coordinates: str
    framing: Framing | None
    # "detector", "encoder", "decoder", "detector.fp16", "detector.int8", "detector.trt" [, "generator"]
    files: dict[str, ModelFile]
    parity: dict[str, Any]  # measured at export: max errors and tolerances per component and precision
    versions: dict[str, str]  # torch, onnx, onnxruntime, opset, exporter
    source: dict[str, Any] = field(default_factory=dict)  # run directory, weights hash, training preset
    # With named points the detector also outputs `named` (N, P, 2): the user's annotated points, regressed
    # from the landmarks. {"names": [...], "labels": source, "fit_images": n, "protocol": "zhang2018"}
    named_points: dict[str, Any] | None = None
    # With a generator (a generator run's export): {"latent_dim": Z, "latent": "isotropic Gaussian N(0, I)", ...}
    generator: dict[str, Any] | None = None
    # With a prior over the codes (models with descriptors): {"latent_dim": Z', "latent": ..., "crops": n, ...}
    prior: dict[str, Any] | None = None
    attachments: dict[str, Attachment] = field(default_factory=dict)  # REFERENCE, WEIGHTS, CARD, ...
    license: str | None = None  # the terms the model may be used under (its training data's), when stated

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = MANIFEST_FILE) -> Manifest:
        if not isinstance(data, dict):
            raise ArtifactError(f"{where}: not a manifest object")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ArtifactError(
                f"{where}: unknown manifest schema version {version!r} (this lmsdk reads "
                f"{SCHEMA_VERSION}); re-export the model with this lmsdk"
            )
        try:
            files = {k: _model_file(v) for k, v in data["files"].items()}
            framing = data.get("framing")
            return cls(
                schema_version=version,
                lmsdk_version=str(data["lmsdk_version"]),
                created_utc=str(data["created_utc"]),
                num_landmarks=int(data["num_landmarks"]),
                descriptor_dim=int(data["descriptor_dim"]),
                input=InputSpec(**data["input"]),
                coordinates=str(data["coordinates"]),
                framing=Framing.from_dict(framing) if framing else None,
                files=files,
                parity=dict(data["parity"]),
                versions=dict(data["versions"]),
                source=dict(data.get("source", {})),
                named_points=data.get("named_points"),
                generator=data.get("generator"),
                prior=data.get("prior"),
                attachments={
                    k: Attachment(str(v["file"]), str(v["sha256"])) for k, v in data.get("attachments", {}).items()
                },
                license=None if data.get("license") is None else str(data["license"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ArtifactError(f"{where}: malformed manifest ({type(exc).__name__}: {exc})") from None

    def latent_dim(self, component: str) -> int:
        """Z of the generator's ``latent`` or the prior's ``noise`` (``component``: ``"generator"`` or ``"prior"``).

        Raises:
            ArtifactError: the manifest has no such part.
        """
        entry = {GENERATOR: self.generator, PRIOR: self.prior}.get(component)
        if entry is None:
            raise ArtifactError(f"the manifest has no {component} entry, so no latent size")
        return int(entry["latent_dim"])

    def check(self, where: str = MANIFEST_FILE) -> Manifest:
        """Raise :class:`ArtifactError` unless the manifest agrees with itself: input settings a runtime can
        follow, and every graph's tensor shapes matching the landmark count, crop size and descriptor size."""
        spec = self.input
        numbers = {"crop_size": int, "padded_size": int, "scale": (int, float)}
        for name, kind in numbers.items():
            value = getattr(spec, name)
            if isinstance(value, bool) or not isinstance(value, kind):
                raise ArtifactError(
                    f"{where}: input.{name} is {value!r}, not {'an integer' if kind is int else 'a number'}"
                )
        if spec.color_order not in COLOR_ORDERS:
            raise ArtifactError(
                f"{where}: unknown input colour order {spec.color_order!r} (one of {', '.join(COLOR_ORDERS)})"
            )
        if not (
            spec.crop_size > 0 and spec.padded_size >= spec.crop_size and 0 < spec.scale <= 1 and spec.layout == "NCHW"
        ):
            raise ArtifactError(f"{where}: impossible input settings {asdict(spec)}")
        if self.num_landmarks < 1 or self.descriptor_dim < 0:
            raise ArtifactError(f"{where}: num_landmarks {self.num_landmarks}, descriptor_dim {self.descriptor_dim}")
        for name, entry in ((GENERATOR, self.generator), (PRIOR, self.prior)):
            if (name in self.files) != (entry is not None):
                raise ArtifactError(f"{where}: a {name} file needs the manifest's {name} entry, and the reverse")
            latent = entry.get("latent_dim") if isinstance(entry, dict) else None
            if entry is not None and (isinstance(latent, bool) or not isinstance(latent, int) or latent < 1):
                raise ArtifactError(f"{where}: the {name} entry needs a positive integer latent_dim")
        if self.named_points is not None:
            names = self.named_points.get("names") if isinstance(self.named_points, dict) else None
            if not (isinstance(names, list) and names and all(isinstance(n, str) for n in names)):
                raise ArtifactError(f"{where}: named_points needs a non-empty list of point names under 'names'")
        expected = expected_shapes(self)
        for key, entry in self.files.items():
            for tensor in (*entry.inputs, *entry.outputs):
                want = expected.get(tensor.name)
                if want is not None and tuple(tensor.shape) != want:
                    raise ArtifactError(
                        f"{where}: {key} tensor {tensor.name!r} has shape {list(tensor.shape)}, but the manifest's "
                        f"num_landmarks, input and descriptor_dim make it {list(want)}"
                    )
        if self.framing is not None:
            _check_framing(self.framing, self.num_landmarks, where)
        return self


def _check_framing(framing: Framing, num_landmarks: int, where: str) -> None:
    """The tracker steers its crops by ``framing``: a (K, 2) finite mean and a (K, 2) finite, non-negative spread."""
    for name in ("mean", "std"):
        rows = getattr(framing, name)
        if len(rows) != num_landmarks or any(len(row) != 2 for row in rows):
            raise ArtifactError(f"{where}: framing.{name} must hold {num_landmarks} (x, y) pairs, one per landmark")
        values = [v for row in rows for v in row]
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
            raise ArtifactError(f"{where}: framing.{name} holds a value that is not a finite number")
        if name == "std" and min(values) < 0:
            raise ArtifactError(f"{where}: framing.std holds a negative spread")


def expected_shapes(manifest: Manifest) -> dict[str, tuple[int | str, ...]]:
    """The shape every named tensor must have under ``manifest``'s landmark count, crop size, descriptor size
    and named points."""
    s, k, c = manifest.input.crop_size, manifest.num_landmarks, manifest.descriptor_dim
    shapes: dict[str, tuple[int | str, ...]] = {
        "image": ("N", 3, s, s),
        "landmarks": ("N", k, 2),
        "confidence": ("N", k),
        "descriptors": ("N", k + 1, c),
    }
    if manifest.generator:
        shapes["latent"] = ("N", manifest.latent_dim(GENERATOR))
    if manifest.prior:
        shapes["noise"] = ("N", manifest.latent_dim(PRIOR))
    if manifest.named_points:
        shapes["named"] = ("N", len(manifest.named_points.get("names", [])), 2)
    return shapes


def _model_file(data: dict[str, Any]) -> ModelFile:
    def tensors(items: list[dict[str, Any]]) -> tuple[TensorSpec, ...]:
        return tuple(TensorSpec(t["name"], tuple(t["shape"]), t.get("dtype", "float32")) for t in items)

    macs = data.get("macs")
    return ModelFile(
        data["file"],
        data["sha256"],
        data["precision"],
        tensors(data["inputs"]),
        tensors(data["outputs"]),
        int(macs) if macs is not None else None,
    )


def sha256_file(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_manifest(artifact_dir: str | os.PathLike[str]) -> Manifest:
    """Read and validate ``manifest.json`` of an artifact directory (files are checked by :func:`verify_file`)."""
    path = Path(artifact_dir) / MANIFEST_FILE
    if not Path(artifact_dir).is_dir():
        raise ArtifactError(f"{artifact_dir}: not an artifact directory (run lmsdk export first)")
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ArtifactError(f"{path}: manifest not found (is this an lmsdk export?)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{path}: not valid JSON ({exc})") from None
    return Manifest.from_dict(data, str(path)).check(str(path))


def verify_file(artifact_dir: str | os.PathLike[str], entry: ModelFile | Attachment) -> Path:
    """The path of a model file, after checking that it lies inside the artifact directory (no ``..``, absolute
    path or link leads out of it), exists and matches the manifest's hash."""
    root = Path(artifact_dir).resolve()
    listed = Path(entry.file)
    path = Path(artifact_dir) / listed
    if listed.is_absolute() or ".." in listed.parts or root not in path.resolve().parents:
        raise ArtifactError(
            f"{Path(artifact_dir) / MANIFEST_FILE}: file entry {entry.file!r} points outside the artifact directory; "
            "an artifact may only use files inside its own folder"
        )
    if not path.is_file():
        raise ArtifactError(f"{path}: listed in {MANIFEST_FILE} but missing")
    digest = sha256_file(path)
    if digest != entry.sha256:
        raise ArtifactError(
            f"{path}: sha256 {digest[:12]}... does not match {MANIFEST_FILE} "
            f"({entry.sha256[:12]}...); the file is truncated or was replaced"
        )
    return path


def listed_files(manifest: Manifest) -> dict[str, ModelFile | Attachment]:
    """Every file ``manifest`` lists, graphs and attachments, by their manifest keys."""
    return {**manifest.files, **manifest.attachments}


def verify_artifact(artifact_dir: str | os.PathLike[str], manifest: Manifest) -> None:
    """Check every file the manifest lists (:func:`verify_file`): a wrong hash anywhere in an artifact is refused
    when it is opened, not only when the file happens to be used."""
    for entry in listed_files(manifest).values():
        verify_file(artifact_dir, entry)
