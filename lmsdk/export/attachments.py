"""The files of an artifact that are not graphs: reference outputs, the PyTorch weights, the model card.

- ``reference.npz`` (always): a few real crops and what eager PyTorch gave on them for every graph, recorded at
  export, so the graphs can be checked on any machine later (``lmsdk verify``, :mod:`lmsdk.runtime.selfcheck`)
  without torch or the training data. Arrays only (read with ``allow_pickle=False``).
- ``weights/`` (``lmsdk export --with-weights``): the hourglass model's safetensors and config, without a
  distilled lite detector, so ``lmsdk train --init ARTIFACT`` fine-tunes from the artifact.
- ``MODEL_CARD.md`` (``--card``): what the model is, how it was made, its figures and limits.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import torch
from torch import nn

from lmsdk.export.wrappers import io_names
from lmsdk.fileio import atomic_write_bytes
from lmsdk.model.autoencoder import LandmarkAutoencoder
from lmsdk.model.checkpoint import CONFIG_FILE, WEIGHTS_FILE, save_model
from lmsdk.ops.images import images_to_tensor
from lmsdk.spec import CARD, REFERENCE, WEIGHTS, WEIGHTS_CONFIG, Attachment, sha256_file

REFERENCE_FILE = "reference.npz"
WEIGHTS_DIR = "weights"
CARD_FILE = "MODEL_CARD.md"
REFERENCE_CROPS = 3


def _attachment(out_dir: Path, path: Path) -> Attachment:
    return Attachment(path.relative_to(out_dir).as_posix(), sha256_file(path))


@torch.no_grad()
def write_reference(
    model: LandmarkAutoencoder, graphs: dict[str, nn.Module], crops: np.ndarray, out_dir: Path
) -> dict[str, Attachment]:
    """Write ``reference.npz``: ``image`` ``(n, S, S, 3)`` uint8 RGB crops (the first :data:`REFERENCE_CROPS` of
    ``crops``), and for every graph ``{component}.{output}`` what eager PyTorch computed (image graphs on those
    crops; the decoder on the encoder's codes of them, stored as its inputs ``decoder.in.{name}``)."""
    crops = np.ascontiguousarray(crops[:REFERENCE_CROPS])
    images = images_to_tensor(crops)
    arrays: dict[str, np.ndarray] = {"image": crops}
    codes: tuple[torch.Tensor, ...] = ()
    for component, graph in graphs.items():
        graph.eval()
        named = getattr(graph, "regressor", None) is not None
        inputs, outputs = io_names(model, component, named)
        if component == "decoder":
            feed = codes
            arrays.update({f"decoder.in.{n}": t.numpy() for n, t in zip(inputs, feed, strict=True)})
        else:
            feed = (images,)
        result = graph(*feed)
        result = result if isinstance(result, tuple) else (result,)
        if component == "encoder":
            codes = result
        arrays.update({f"{component}.{n}": t.float().numpy() for n, t in zip(outputs, result, strict=True)})
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    path = out_dir / REFERENCE_FILE
    atomic_write_bytes(path, buffer.getvalue())
    return {REFERENCE: _attachment(out_dir, path)}


def write_weights(model: LandmarkAutoencoder, out_dir: Path) -> dict[str, Attachment]:
    """Write ``weights/``: ``model``'s weights and config without its lite detector (what a discovery run
    fine-tunes), as :func:`~lmsdk.model.checkpoint.save_model` writes a run's model folder."""
    base = model
    if model.lite is not None:
        base = LandmarkAutoencoder(model.config.replace(lite=None))
        base.load_state_dict({k: v for k, v in model.state_dict().items() if not k.startswith("lite.")})
    folder = save_model(base, out_dir / WEIGHTS_DIR)
    return {
        WEIGHTS: _attachment(out_dir, folder / WEIGHTS_FILE),
        WEIGHTS_CONFIG: _attachment(out_dir, folder / CONFIG_FILE),
    }


def write_card(card: Path, out_dir: Path) -> dict[str, Attachment]:
    """Copy the model card ``card`` (Markdown) into the artifact as ``MODEL_CARD.md``."""
    path = out_dir / CARD_FILE
    shutil.copyfile(card, path)
    return {CARD: _attachment(out_dir, path)}
