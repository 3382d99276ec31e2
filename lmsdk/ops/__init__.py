"""Pure, batched torch functions for the paper's numerics; no state, no nn.Module.

Coordinates follow :mod:`lmsdk.ops.coords` everywhere.
"""

from lmsdk.ops.color import JitterConfig, color_jitter
from lmsdk.ops.coords import (
    crop_to_padded,
    from_grid_sample,
    normalized_grid,
    normalized_to_pixels,
    padded_to_crop,
    pixel_centers,
    pixels_to_normalized,
    to_grid_sample,
)
from lmsdk.ops.heatmaps import HeatmapNormalization, render_gaussians, soft_argmax, spatial_spread
from lmsdk.ops.padding import border_mean, mean_edge_pad
from lmsdk.ops.tps import TpsParams, apply_tps, fit_tps, regular_grid, tps_kernel
from lmsdk.ops.warps import (
    Warp,
    WarpConfig,
    apply_warp,
    identity_warp,
    sample_warp,
    warp_images,
    warp_points,
)

__all__ = [
    "HeatmapNormalization",
    "JitterConfig",
    "TpsParams",
    "Warp",
    "WarpConfig",
    "apply_tps",
    "apply_warp",
    "border_mean",
    "color_jitter",
    "crop_to_padded",
    "fit_tps",
    "from_grid_sample",
    "identity_warp",
    "mean_edge_pad",
    "normalized_grid",
    "normalized_to_pixels",
    "padded_to_crop",
    "pixel_centers",
    "pixels_to_normalized",
    "regular_grid",
    "render_gaussians",
    "sample_warp",
    "soft_argmax",
    "spatial_spread",
    "to_grid_sample",
    "tps_kernel",
    "warp_images",
    "warp_points",
]
