"""``lmsdk eval``: run a trained run (torch) or an exported artifact (torch-free) over labelled data and apply
the protocol."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lmsdk.data.base import ImageSource
from lmsdk.data.sources import open_labelled
from lmsdk.data.splits import FIT_FRACTION, fit_test_partition
from lmsdk.errors import ConfigError, DataError
from lmsdk.eval.fewshot import FewShotPoint, few_shot_curve
from lmsdk.eval.h36m import evaluate_h36m
from lmsdk.eval.regression import (
    REGRESSORS,
    RegressionResult,
    evaluate_regression,
    fit_and_predict,
    testable_rows,
)
from lmsdk.eval.regression import normalized_errors as point_errors
from lmsdk.fileio import atomic_write_json
from lmsdk.geometry import image_to_crop, rgb_to_bgr
from lmsdk.rundir import model_folder
from lmsdk.spec import MANIFEST_FILE

logger = logging.getLogger(__name__)

PROTOCOLS = ("zhang2018", "h36m")
OUTPUT_FILES = ("metrics.json", "figure.png", "few_shot.png")
CURVE_LABELS = {
    "lstsq": "bias-free least squares (the paper's protocol)",
    "ridge": "ridge, strength by cross-validation (export --labels)",
}


class LandmarkModel:
    """Discovered landmarks of crops, from a run directory (torch) or an artifact directory (onnxruntime; its
    detector graph of ``precision``: fp32, fp16 or int8; ``graph``: ``detector`` or a distilled run's ``tracker``).
    A shipped model's name (``faces``) stands for its artifact."""

    def __init__(self, path: str | os.PathLike[str], precision: str = "fp32", graph: str = "detector") -> None:
        from lmsdk.zoo import resolve

        path = resolve(path)
        self.path = path
        if (path / MANIFEST_FILE).is_file():
            from lmsdk.runtime import Detector

            self.detector = Detector(path, precision=precision, graph=graph)
            self.crop_size = self.detector.manifest.input.crop_size
            self.model = None
        else:
            from lmsdk.model import load_model

            if precision != "fp32" or graph != "detector":
                raise ConfigError(
                    f"{path}: a run is evaluated in fp32 by its own detector; --precision {precision} and --graph "
                    f"{graph} need an artifact"
                )
            self.model = load_model(model_folder(path))
            self.crop_size = self.model.config.crop_size
            self.detector = None

    @property
    def named_points(self) -> tuple[str, ...]:
        """The names of the points an artifact was exported with (``export --labels``); empty for a run."""
        return tuple(self.detector.named_points) if self.detector is not None else ()

    def __call__(self, source: ImageSource, batch: int = 64) -> np.ndarray:
        """``(N, K, 2)`` normalised crop coordinates for every crop of ``source``."""
        return self.detect(source, batch)[0]

    def detect(self, source: ImageSource, batch: int = 64) -> tuple[np.ndarray, np.ndarray | None]:
        """The discovered landmarks ``(N, K, 2)`` of every crop of ``source`` and, for an artifact with named
        points, those ``(N, P, 2)``, both in normalised crop coordinates (the labels' frame)."""
        if self.model is not None:
            from lmsdk.eval.predict import predict_landmarks

            return predict_landmarks(self.model, source, batch_size=batch), None
        from lmsdk.runtime import Box

        whole = Box(0.0, 0.0, float(self.crop_size), float(self.crop_size))
        points, named = [], []
        for start in range(0, len(source), batch):
            crops = source.images(range(start, min(start + batch, len(source))))
            bgr = [rgb_to_bgr(c) for c in crops]  # the runtime's boundary: OpenCV order
            for r in self.detector.batch(bgr, [whole] * len(bgr)):
                points.append(r.normalized)
                if r.named is not None:
                    named.append(image_to_crop(r.named, whole))
        return np.stack(points), (np.stack(named) if named else None)


@dataclass(frozen=True)
class NamedResult:
    """The error of an artifact's own named points (``export --labels``, nothing fitted here) on the test images,
    as fractions of the normalising distance."""

    names: tuple[str, ...]
    mean_error: float  # mean over test images of the per-image mean normalised error
    per_point: np.ndarray  # (P,) mean normalised error of each named point

    def as_dict(self) -> dict[str, object]:
        """The result as JSON-ready values (``per_point`` a list)."""
        return {"names": list(self.names), "mean_error": self.mean_error, "per_point": self.per_point.tolist()}


@dataclass
class Evaluation:
    result: RegressionResult
    named: NamedResult | None = None  # an artifact's named points against the test labels, when they match
    few_shot: list[FewShotPoint] = field(default_factory=list)  # with the evaluated regressor
    few_shot_other: dict[str, list[FewShotPoint]] = field(default_factory=dict)  # the other regressor's curve
    outputs: list[Path] = field(default_factory=list)


def parse_pairs(text: str | None) -> list[tuple[int, int]]:
    """``"1:4,2:5"`` -> ``[(1, 4), (2, 5)]`` (left-right partners for the h36m protocol)."""
    if not text:
        return []
    try:
        return [(int(a), int(b)) for a, b in (p.split(":") for p in text.split(","))]
    except ValueError:
        raise ConfigError(f"--swap {text!r}: expected pairs like 1:4,2:5") from None


def _check_pairs(pairs: list[tuple[int, int]], points: int, source: str) -> None:
    """Refuse left-right pairs that do not name two different annotated points (0-based) of ``source``, or that
    name a point twice."""
    seen: set[int] = set()
    for a, b in pairs:
        if not (0 <= a < points and 0 <= b < points) or a == b:
            raise ConfigError(f"--swap {a}:{b}: {source} has points 0 to {points - 1}; a pair names two different ones")
        if {a, b} & seen:
            raise ConfigError(f"--swap {a}:{b}: point {sorted({a, b} & seen)[0]} is already in another pair")
        seen |= {a, b}


def evaluate(
    model_path: str | os.PathLike[str],
    fit: str,
    test: str,
    *,
    protocol: str = "zhang2018",
    out_dir: str | os.PathLike[str] | None = None,
    data_format: str | None = None,
    fit_count: int | None = None,
    few_shot: bool = False,
    swap: list[tuple[int, int]] | None = None,
    figure_images: int = 18,
    regressor: str = "lstsq",
    precision: str = "fp32",
    graph: str = "detector",
) -> Evaluation:
    """Evaluate discovered landmarks against annotations: fit on ``fit``, test on ``test`` (data specs).

    Writes ``metrics.json``, ``figure.png`` (Figure 9 style) and, with ``few_shot``, ``few_shot.png`` (the
    curves of both regressors, the paper's bias-free least squares and the cross-validated ridge that
    ``lmsdk export --labels`` uses) and their numbers into ``out_dir`` (files there are replaced). When ``fit``
    and ``test`` name the same data, its images are split at random (seed 0) into ``fit_count`` fit images
    (default 80 %) and the rest for testing. ``regressor``: ``"lstsq"`` (the paper's, default) or ``"ridge"``.
    ``precision`` picks an artifact's detector graph (``"int8"``: the one ``lmsdk export --int8`` wrote), ``graph``
    which of its detectors (``"tracker"``: a distilled run's lite detector).
    """
    if protocol not in PROTOCOLS:
        raise ConfigError(f"unknown protocol {protocol!r}; one of {', '.join(PROTOCOLS)}")
    if protocol == "h36m" and not swap:
        raise ConfigError("the h36m protocol needs the left-right point pairs (--swap 1:4,2:5,...)")
    if swap and protocol != "h36m":
        raise ConfigError(f"--swap is for the h36m protocol; {protocol} does not use left-right pairs")
    if regressor not in REGRESSORS or (protocol == "h36m" and regressor != "lstsq"):
        raise ConfigError(f"--regressor {regressor!r}: one of {', '.join(REGRESSORS)} (h36m: lstsq only)")
    if fit_count is not None and fit_count < 1:
        raise ConfigError(f"--fit-count {fit_count}: the number of images to fit on, 1 or more")
    model = LandmarkModel(model_path, precision, graph)
    fit_source = open_labelled(fit, model.crop_size, data_format=data_format)
    normalizer = fit_source.normalizer_indices or (0, 1)
    fit_labels = fit_source.all_keypoints()
    if protocol == "h36m":
        _check_pairs(swap or [], fit_labels.shape[1], fit)  # before minutes of inference
    fit_points, fit_named = model.detect(fit_source)
    if test == fit:
        n_fit = fit_count or int(FIT_FRACTION * len(fit_source))
        if not 0 < n_fit < len(fit_source):
            raise DataError(f"{fit}: cannot fit on {n_fit} of {len(fit_source)} images and test on the rest")
        fit_idx, test_idx = fit_test_partition(len(fit_source), n_fit)
        test_points, test_labels = fit_points[test_idx], fit_labels[test_idx]
        test_named = fit_named[test_idx] if fit_named is not None else None
        fit_points, fit_labels = fit_points[fit_idx], fit_labels[fit_idx]
        test_images = fit_source.images(test_idx[:figure_images])
        test_names = fit_source.keypoint_names
    else:
        test_source = open_labelled(test, model.crop_size, data_format=data_format)
        if (
            test_source.keypoint_names is not None
            and fit_source.keypoint_names is not None
            and len(test_source.keypoint_names) != len(fit_source.keypoint_names)
        ):
            raise DataError(
                f"{test}: {len(test_source.keypoint_names)} points per image, but {fit} has "
                f"{len(fit_source.keypoint_names)}"
            )
        (test_points, test_named), test_labels = model.detect(test_source), test_source.all_keypoints()
        test_names = test_source.keypoint_names
        test_images = test_source.images(range(min(figure_images, len(test_source))))
        if fit_count is not None:
            if fit_count > len(fit_points):
                raise ConfigError(f"--fit-count {fit_count}: {fit} has only {len(fit_points)} images")
            fit_points, fit_labels = fit_points[:fit_count], fit_labels[:fit_count]
    if protocol == "h36m":
        result = evaluate_h36m(fit_points, fit_labels, test_points, test_labels, swap or [])
    else:
        result = evaluate_regression(fit_points, fit_labels, test_points, test_labels, normalizer, regressor)
    evaluation = Evaluation(result, named_result(model.named_points, test_named, test_labels, test_names, normalizer))
    if few_shot and protocol == "zhang2018":
        args = (fit_points, fit_labels, test_points, test_labels, normalizer, _sizes(len(fit_points)))
        evaluation.few_shot = few_shot_curve(*args, regressor=regressor)
        other = next(r for r in REGRESSORS if r != regressor)
        evaluation.few_shot_other = {other: few_shot_curve(*args, regressor=other)}
    if out_dir is not None:
        _write(
            evaluation,
            Path(out_dir),
            fit,
            test,
            test_images,
            fit_points,
            fit_labels,
            test_points[: len(test_images)],
            test_labels[: len(test_images)],
            normalizer,
            str(model_path),
            regressor,
        )
    return evaluation


def named_result(
    names: tuple[str, ...],
    named: np.ndarray | None,
    labels: np.ndarray,
    label_names: list[str] | tuple[str, ...] | None,
    normalizer: tuple[int, int],
) -> NamedResult | None:
    """An artifact's named points ``(N, P, 2)`` scored against the labels ``(N, P, 2)`` of the same images, when the
    labels are the same points (same names, or the same count where the data names none); otherwise ``None``."""
    if named is None or named.shape[1] != labels.shape[1]:
        return None
    if label_names is not None and tuple(label_names) != tuple(names):
        logger.info("named points %s are not the data's points %s: not scored", names, tuple(label_names))
        return None
    keep = testable_rows(labels, normalizer)
    if not keep.any():
        return None
    errors = point_errors(named[keep], labels[keep], normalizer)
    return NamedResult(tuple(names), float(np.nanmean(errors, axis=1).mean()), np.nanmean(errors, axis=0))


def _sizes(n: int) -> tuple[int, ...]:
    base = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 8000, 20000, 50000]
    return (*(s for s in base if s < n), n)


def _write(
    evaluation: Evaluation,
    out: Path,
    fit: str,
    test: str,
    images: np.ndarray,
    fit_points: np.ndarray,
    fit_labels: np.ndarray,
    test_points: np.ndarray,
    test_labels: np.ndarray,
    normalizer: tuple[int, int],
    model: str,
    regressor: str,
) -> None:
    from lmsdk.eval.plots import few_shot_figure, regression_figure

    out.mkdir(parents=True, exist_ok=True)
    r = evaluation.result
    report: dict[str, Any] = {"model": model, "fit": fit, "test": test, "regressor": regressor, **r.as_dict()}
    if evaluation.named is not None:
        report["named"] = evaluation.named.as_dict()
    if evaluation.few_shot:
        report["few_shot"] = [vars(p) for p in evaluation.few_shot]
        for name, curve in evaluation.few_shot_other.items():
            report[f"few_shot_{name}"] = [vars(p) for p in curve]
    atomic_write_json(out / "metrics.json", report)
    evaluation.outputs.append(out / "metrics.json")
    predicted = fit_and_predict(fit_points, fit_labels, test_points, regressor)
    errors = point_errors(predicted, test_labels, normalizer)
    title = (
        f"{r.protocol}: {100 * r.mean_error:.2f} % (mean shape {100 * r.baseline_error:.2f} %), test {Path(test).name}"
    )
    regression_figure(out / "figure.png", images, test_points, test_labels, predicted, errors, title)
    evaluation.outputs.append(out / "figure.png")
    if evaluation.few_shot:
        curves = {regressor: evaluation.few_shot, **evaluation.few_shot_other}
        few_shot_figure(
            out / "few_shot.png",
            {CURVE_LABELS[name]: curves[name] for name in REGRESSORS if name in curves},
            r.baseline_error,
            f"few-shot, {Path(test).name}",
            unknowns=2 * test_points.shape[1],
        )
        evaluation.outputs.append(out / "few_shot.png")
