"""The method learns: a short CPU run on the synthetic faces finds landmarks that predict the annotated
points far better than the mean shape does (the paper's protocol, on held-out faces)."""

import numpy as np

from lmsdk.data import SyntheticFaces
from lmsdk.eval import evaluate_regression
from lmsdk.eval.predict import predict_landmarks
from lmsdk.model import load_model

# error / baseline of the 250-step tiny run; untrained weights give about 1 (what it stands on: docs/testing.md).
MAX_RATIO = 0.65


def test_short_run_beats_the_mean_shape_baseline(learned_run):
    model = load_model(learned_run / "model")
    held_out = SyntheticFaces(model.config.crop_size, 600, seed=12345)  # never seen in training
    discovered = predict_landmarks(model, held_out)
    annotated = held_out.all_keypoints()
    result = evaluate_regression(discovered[:400], annotated[:400], discovered[400:], annotated[400:], (0, 1))
    figures = f"error {result.mean_error:.4f}, baseline {result.baseline_error:.4f}"
    assert result.baseline_error > 0.15, figures
    assert result.mean_error < MAX_RATIO * result.baseline_error, figures
    # The landmarks are spread over the face, not collapsed on one spot.
    spread = np.linalg.norm(discovered - discovered.mean(axis=1, keepdims=True), axis=-1).mean()
    assert spread > 0.08


def test_untrained_model_is_no_better_than_the_baseline(tiny_config):
    """The comparison above can fail: random weights do not predict the annotations."""
    from lmsdk.model import LandmarkAutoencoder

    model = LandmarkAutoencoder(tiny_config.model)
    held_out = SyntheticFaces(tiny_config.model.crop_size, 300, seed=12345)
    discovered = predict_landmarks(model, held_out)
    annotated = held_out.all_keypoints()
    result = evaluate_regression(discovered[:200], annotated[:200], discovered[200:], annotated[200:], (0, 1))
    assert result.mean_error > 0.85 * result.baseline_error
