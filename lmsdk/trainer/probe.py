"""A regression probe run during training: how well the landmarks predict annotated ones right now.

It uses the paper's protocol (:mod:`lmsdk.eval.regression`) on annotated images the run can see:
for the built-in synthetic data a held-out set drawn with another seed; for an annotated source
(e.g. an MTFL list) a fixed random subset of its images. Training never reads these labels; the probe
only reports. Published numbers come from ``lmsdk eval`` / the benchmarks, on proper splits.
"""

from __future__ import annotations

import numpy as np

from lmsdk.data.base import ImageSource, Subset
from lmsdk.data.sources import DataConfig
from lmsdk.data.synthetic import SyntheticFaces
from lmsdk.eval.predict import predict_landmarks
from lmsdk.eval.regression import evaluate_regression
from lmsdk.model.autoencoder import LandmarkAutoencoder

_HELD_OUT_SEED_OFFSET = 7919


class RegressionProbe:
    """Fits on the first 2/3 of its images and tests on the rest."""

    def __init__(self, source: ImageSource | None, held_out: bool) -> None:
        self.source = source
        self.held_out = held_out

    @classmethod
    def for_training(
        cls, data: DataConfig, train_source: ImageSource, crop_size: int, images: int, seed: int
    ) -> RegressionProbe:
        if images <= 0:
            return cls(None, False)
        if data.source == "synthetic" and data.format in (None, "synthetic"):
            return cls(SyntheticFaces(crop_size, images, data.seed + _HELD_OUT_SEED_OFFSET), True)
        if train_source.has_keypoints:
            rng = np.random.default_rng([seed, _HELD_OUT_SEED_OFFSET])
            picked = np.sort(rng.choice(len(train_source), min(images, len(train_source)), replace=False))
            return cls(Subset(train_source, picked), False)
        return cls(None, False)

    @property
    def active(self) -> bool:
        return self.source is not None

    def __call__(self, model: LandmarkAutoencoder) -> dict[str, float]:
        """``{"probe/error": ..., "probe/baseline": ...}`` as fractions of the normalising distance."""
        assert self.source is not None and self.source.normalizer_indices is not None
        discovered = predict_landmarks(model, self.source)
        annotated = self.source.all_keypoints()
        n_fit = len(annotated) * 2 // 3
        result = evaluate_regression(
            discovered[:n_fit], annotated[:n_fit], discovered[n_fit:], annotated[n_fit:], self.source.normalizer_indices
        )
        return {"probe/error": result.mean_error, "probe/baseline": result.baseline_error}
