"""Models that ship inside lmsdk, trained by the project, found by name wherever an artifact path is accepted.

Each shipped model is an ordinary artifact directory (``lmsdk export`` wrote it; :mod:`lmsdk.spec`) in a folder
of this package named after the model, with its model card. ``Detector("faces")``, ``lmsdk track faces 0``,
``lmsdk edit faces ...`` and ``lmsdk train --init faces`` all take the name; a path that exists always wins over
a name. ``lmsdk models`` lists them. Torch-free (the runtime resolves names).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lmsdk.errors import ArtifactError
from lmsdk.spec import DETECTORS, MANIFEST_FILE, listed_files, read_manifest

ZOO_DIR = Path(__file__).resolve().parent


def shipped_names() -> list[str]:
    """Names of the models shipped in this installation, sorted."""
    return sorted(p.name for p in ZOO_DIR.iterdir() if (p / MANIFEST_FILE).is_file())


def resolve(artifact: str | os.PathLike[str]) -> Path:
    """The artifact directory ``artifact`` names: the path itself when it exists, else the shipped model of that
    name; a path that is neither is returned unchanged (the reader then says what is missing)."""
    path = Path(artifact)
    if path.exists():
        return path
    name = os.fspath(artifact)
    if name in shipped_names():
        return ZOO_DIR / name
    return path


def resolve_artifact(artifact: str | os.PathLike[str]) -> Path:
    """:func:`resolve`, refusing with one line what is neither an existing path nor a shipped model's name."""
    path = resolve(artifact)
    if not path.exists():
        shipped = ", ".join(shipped_names()) or "none in this installation"
        raise ArtifactError(
            f"{artifact}: no such artifact folder, and not the name of a shipped model ({shipped}; lmsdk models)"
        )
    return path


@dataclass(frozen=True)
class ShippedModel:
    """What ``lmsdk models`` says of one shipped model."""

    name: str
    path: Path
    num_landmarks: int
    named_points: tuple[str, ...]
    variants: tuple[str, ...]  # the graphs and their precisions, e.g. "detector fp32", "tracker int8"
    size_bytes: int  # all the files its manifest lists, with the manifest
    license: str


def shipped_models() -> list[ShippedModel]:
    """Every shipped model, read from its manifest (each one checked like any artifact)."""
    models = []
    for name in shipped_names():
        path = ZOO_DIR / name
        manifest = read_manifest(path)
        files = listed_files(manifest)
        size = (
            sum((path / entry.file).stat().st_size for entry in files.values()) + (path / MANIFEST_FILE).stat().st_size
        )
        variants = tuple(
            f"{key.split('.')[0]} {entry.precision}"
            for key, entry in manifest.files.items()
            if key.split(".")[0] in DETECTORS
        )
        named = tuple(manifest.named_points["names"]) if manifest.named_points else ()
        models.append(
            ShippedModel(name, path, manifest.num_landmarks, named, variants, size, manifest.license or "not stated")
        )
    return models
