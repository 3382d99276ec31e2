"""Sample sheets: inputs with their landmarks, reconstructions, and detection maps, as one PNG."""

from __future__ import annotations

import numpy as np
import torch

from lmsdk.model.autoencoder import LandmarkAutoencoder
from lmsdk.ops.coords import normalized_to_pixels
from lmsdk.ops.images import tensor_to_images
from lmsdk.viz import draw_landmarks, palette, tile


@torch.no_grad()
def sample_sheet(model: LandmarkAutoencoder, crops: torch.Tensor, tile_size: int = 128) -> np.ndarray:
    """Three rows for ``(n, 3, S, S)`` crops, in eval mode: input + detected landmarks, reconstruction + the
    landmarks it was decoded from, and the detection maps coloured by landmark (background black). With a lite
    detector the first and last rows are its own. Returns an RGB uint8 image."""
    was_training = model.training
    model.eval()
    try:
        enc = model.encode(crops)
        recon = model.decode(enc.points, enc.descriptors)
        det = model.detect(crops) if model.lite is not None else enc
    finally:
        model.train(was_training)
    k = enc.points.shape[1]
    points = normalized_to_pixels(det.points.float(), tile_size, tile_size).cpu().numpy()
    decoded_from = normalized_to_pixels(enc.points.float(), tile_size, tile_size).cpu().numpy()
    colors = torch.tensor(palette(k), dtype=torch.float32) / 255.0  # (K, 3)
    maps = torch.einsum("bkhw,kc->bchw", det.probs[:, :-1].float().cpu(), colors)
    maps = maps / maps.amax(dim=(1, 2, 3), keepdim=True).clamp_min(1e-6)
    rows = []
    for batch in (crops, recon, maps):
        up = torch.nn.functional.interpolate(batch.float().cpu(), size=(tile_size, tile_size), mode="nearest")
        rows.append(tensor_to_images(up))
    tiles = [draw_landmarks(im, p) for im, p in zip(rows[0], points, strict=True)]
    tiles += [draw_landmarks(im, p) for im, p in zip(rows[1], decoded_from, strict=True)]
    tiles += list(rows[2])
    return tile(tiles, columns=len(crops))
