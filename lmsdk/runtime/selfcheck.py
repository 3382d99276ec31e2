"""Check an artifact's graphs against the PyTorch outputs recorded when it was exported (``reference.npz``).

The export's parity gate ran on the exporting machine; this runs the same graphs on this machine, through the
runtime's own backends, on the crops the artifact carries, and compares with what eager PyTorch gave on them
then: a corrupted, mis-converted or wrongly executed graph is caught anywhere, without torch or training data.
Tolerances are the gate's own (the manifest's ``parity``): fp32 and fp16 per output, int8 in crop pixels.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from lmsdk.errors import ArtifactError
from lmsdk.geometry import to_model_input
from lmsdk.runtime.artifact import Artifact
from lmsdk.spec import REFERENCE, verify_file


@dataclass(frozen=True)
class OutputCheck:
    """One output of one graph against its recorded reference."""

    graph: str  # the manifest key, e.g. "detector", "tracker.int8", "decoder.fp16"
    output: str  # e.g. "landmarks"
    error: float  # max absolute difference (int8: max landmark distance in crop pixels)
    tolerance: float
    unit: str  # "abs" or "px"

    @property
    def ok(self) -> bool:
        return self.error <= self.tolerance


def load_reference(artifact: Artifact) -> dict[str, np.ndarray]:
    """The arrays of the artifact's ``reference.npz`` (hash-checked; no pickled objects are read)."""
    entry = artifact.manifest.attachments.get(REFERENCE)
    if entry is None:
        raise ArtifactError(f"{artifact.directory}: no reference outputs (exported by an lmsdk before 0.2; re-export)")
    path = verify_file(artifact.directory, entry)
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def check_reference(
    artifact: str | os.PathLike[str] | Artifact, *, backend: str = "onnxruntime", device: str = "cpu"
) -> list[OutputCheck]:
    """Run every ONNX graph of ``artifact`` that has recorded outputs on the recorded inputs; one
    :class:`OutputCheck` per graph output (see :attr:`OutputCheck.ok`)."""
    opened = artifact if isinstance(artifact, Artifact) else Artifact(artifact)
    reference = load_reference(opened)
    size = opened.manifest.input.crop_size
    image = to_model_input(reference["image"], opened.manifest.input.scale)  # RGB crops, as at export
    checks = []
    for key, entry in opened.manifest.files.items():
        component, _, precision = key.partition(".")
        precision = precision or "fp32"
        if precision not in ("fp32", "fp16", "int8") or not any(k.startswith(f"{component}.") for k in reference):
            continue  # an engine (checked by the parity gate where it was built), or a graph without a record
        if component == "decoder":
            feed = {k.removeprefix("decoder.in."): v for k, v in reference.items() if k.startswith("decoder.in.")}
        else:
            feed = {"image": image}
        runner = opened.open(component, precision=precision, backend=backend, device=device)
        try:
            got = runner.run(feed)
        finally:
            runner.close()
        gate = opened.manifest.parity.get(f"{component}.{precision}", {})
        for name in (t.name for t in entry.outputs):
            expected = reference.get(f"{component}.{name}")
            if expected is None:
                continue
            if precision == "int8":
                if name not in ("landmarks", "named"):
                    continue  # the int8 gate judges positions only
                error = float(np.linalg.norm((got[name] - expected) * size, axis=-1).max())
                checks.append(OutputCheck(key, name, error, float(gate["tolerance_px"]["p99"]), "px"))
            else:
                error = float(np.abs(got[name].astype(np.float64) - expected).max())
                checks.append(OutputCheck(key, name, error, float(gate["tolerance"][name]), "abs"))
    return checks
