"""``export_run``: a trained run directory -> an artifact directory the runtime can load."""

from __future__ import annotations

import datetime
import logging
import os
import re
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import torch

from lmsdk import __version__
from lmsdk.data.base import ImageSource
from lmsdk.data.synthetic import SyntheticFaces
from lmsdk.errors import (
    CheckpointError,
    ConfigError,
    DataError,
    LmsdkError,
    OutputError,
    ParityError,
)
from lmsdk.export.attachments import write_card, write_reference, write_weights
from lmsdk.export.generator import export_generator
from lmsdk.export.onnx_export import EXPORTER, OPSET, export_component, multiply_adds, to_fp16
from lmsdk.export.parity import BATCHES, ParityReport, check_parity, real_batch
from lmsdk.export.prior import export_prior, fit_run_prior
from lmsdk.export.provenance import source_info
from lmsdk.export.quantize import CALIBRATION_CROPS, INT8_TOLERANCE_PX, int8_detector
from lmsdk.export.wrappers import GRAPHS, DetectorGraph, io_names
from lmsdk.fileio import atomic_directory, atomic_write_bytes, read_json
from lmsdk.geometry import Box, crop_resize, crop_to_image, rgb_to_bgr
from lmsdk.model.autoencoder import LandmarkAutoencoder
from lmsdk.model.checkpoint import WEIGHTS_FILE, load_model
from lmsdk.model.generator_io import ImageGenerator, describe_generator, has_generator, load_generator
from lmsdk.model.prior import PriorFit
from lmsdk.ops.images import images_to_tensor
from lmsdk.outputs import check_output_dir
from lmsdk.rundir import RunDir
from lmsdk.spec import (
    COMPONENTS,
    COORDINATES,
    DETECTORS,
    MANIFEST_FILE,
    SCHEMA_VERSION,
    TRACKER,
    Framing,
    InputSpec,
    Manifest,
    ModelFile,
    TensorSpec,
    sha256_file,
)

logger = logging.getLogger(__name__)

END_TO_END_TOLERANCE_PX = 0.05


@dataclass(frozen=True)
class ExportResult:
    directory: Path
    manifest: Manifest
    reports: list[ParityReport]
    seconds: float


def _tensor_specs(
    model: LandmarkAutoencoder, component: str, named: int = 0
) -> tuple[tuple[TensorSpec, ...], tuple[TensorSpec, ...]]:
    cfg = model.config
    s, k, c = cfg.crop_size, cfg.num_landmarks, cfg.descriptor_dim
    shapes = {
        "image": ("N", 3, s, s),
        "landmarks": ("N", k, 2),
        "confidence": ("N", k),
        "descriptors": ("N", k + 1, c),
        "named": ("N", named, 2),
    }
    ins, outs = io_names(model, component, named > 0)
    return tuple(TensorSpec(n, shapes[n]) for n in ins), tuple(TensorSpec(n, shapes[n]) for n in outs)


def _entry(
    path: Path, model: LandmarkAutoencoder, component: str, precision: str, named: int = 0, macs: int | None = None
) -> ModelFile:
    inputs, outputs = _tensor_specs(model, component, named if component in DETECTORS else 0)
    return ModelFile(path.name, sha256_file(path), precision, inputs, outputs, macs)


def detector_graphs(model: LandmarkAutoencoder) -> list[str]:
    """The detector graphs an export of ``model`` writes: ``detector`` (the hourglass), and ``tracker`` (the lite
    detector) for a distilled model."""
    return ["detector", TRACKER] if model.lite is not None else ["detector"]


@torch.no_grad()
def _graph_landmarks(graph: DetectorGraph, source: ImageSource, batch: int = 64) -> np.ndarray:
    """``(N, K, 2)`` normalised landmarks of every crop of ``source`` through a detector graph (eval mode)."""
    graph.eval()
    parts = [
        graph(images_to_tensor(source.images(range(i, min(i + batch, len(source))))))[0].numpy()
        for i in range(0, len(source), batch)
    ]
    return np.concatenate(parts)


def _named_points(
    model: LandmarkAutoencoder, labels: str, data_format: str | None
) -> tuple[dict[str, DetectorGraph], dict]:
    """Each detector graph (:func:`detector_graphs`) with a regressor from its landmarks to a labels file's points
    folded in, each fitted on its own landmarks.

    The regressor is ridge with a bias, its strength cross-validated on the labels (:mod:`lmsdk.eval.ridge`):
    the paper's bias-free least squares interpolates annotation noise with about 2K labelled images.
    """
    from lmsdk.data.sources import open_labelled
    from lmsdk.eval.ridge import fit_ridge_cv

    source = open_labelled(labels, model.config.crop_size, data_format=data_format)
    annotated = source.all_keypoints()
    names = list(source.keypoint_names or [str(i) for i in range(annotated.shape[1])])
    info: dict = {"names": names, "labels": labels, "fit_images": len(source), "protocol": "ridge-cv"}
    graphs = {}
    for component in detector_graphs(model):
        plain = DetectorGraph(model, tracker=component == TRACKER)
        fit = fit_ridge_cv(_graph_landmarks(plain, source), annotated)
        graphs[component] = DetectorGraph(
            model, torch.from_numpy(fit.weights), torch.from_numpy(fit.bias), tracker=component == TRACKER
        )
        suffix = "" if component == "detector" else f"_{component}"
        info[f"ridge_alpha{suffix}"], info[f"cv_error{suffix}"] = fit.alpha, fit.cv_error
    return graphs, info


ARTIFACT_FILE = re.compile(
    r"^(manifest\.json|reference\.npz|MODEL_CARD\.md|"
    r"(detector|tracker|encoder|decoder|generator|prior)(\.fp16|\.int8)?\.(onnx|engine|engine\.json))$"
)


# onnxruntime's TensorRT cache, lmsdk eval's default output, the weights attachment: replaced too
OWN_FOLDERS = ("trt_cache", "eval", "weights")


def _check_out_dir(out_dir: Path, run_dir: Path, labels: str | None) -> None:
    """Refuse an --out that is or holds an input, is a file, or is a folder of something other than an artifact
    (export replaces its --out as a whole)."""
    inputs = [run_dir] + ([Path(labels.partition("#")[0])] if labels else [])
    check_output_dir(out_dir, inputs=inputs)
    if out_dir.is_dir():
        foreign = [p.name for p in out_dir.iterdir() if not (ARTIFACT_FILE.match(p.name) or p.name in OWN_FOLDERS)]
        if foreign:
            raise OutputError(
                f"--out {out_dir}: not an lmsdk artifact folder (it holds {', '.join(sorted(foreign)[:3])}...); "
                "export replaces its --out as a whole: give a new folder or an existing artifact"
            )


def _framing(run: RunDir) -> Framing | None:
    path = run.stats
    if not path.is_file():
        logger.warning(
            "%s not found: the artifact has no training framing (the tracker will frame by the "
            "landmarks' bounding box)",
            path,
        )
        return None
    return Framing.from_dict(read_json(path, "landmark statistics"))


def export_run(
    run_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    fp16: bool = False,
    trt: bool = False,
    labels: str | None = None,
    labels_format: str | None = None,
    int8: bool = False,
    with_weights: bool = False,
    card: str | os.PathLike[str] | None = None,
    license: str | None = None,
) -> ExportResult:
    """Export the finished model of ``run_dir`` to ``out_dir`` and prove parity.

    Writes ``detector.onnx``, ``encoder.onnx``, ``decoder.onnx`` (with ``--fp16`` also ``*.fp16.onnx``) and, for a
    generator run (``lmsdk train-generator``), ``generator.onnx`` (:mod:`lmsdk.export.generator`), then
    ``manifest.json`` only if every graph passes the parity gate (:mod:`lmsdk.export.parity`) and the
    runtime, run on a picture of another size, lands on the eager model's pixels. With ``labels`` (a labels
    CSV or labelled dataset) the detector also outputs those annotated points, regressed from the landmarks
    (a ridge regressor, :mod:`lmsdk.eval.ridge`, folded into the graph). With ``int8`` it also writes
    ``detector.int8.onnx``, quantized with calibration on the run's own training crops and gated in pixels
    (:mod:`lmsdk.export.quantize`); for a distilled run, the tracker graph is the one quantized. With ``trt`` it
    then builds TensorRT engines (needs TensorRT and an NVIDIA GPU: without them it refuses before exporting
    anything). A model with descriptors also gets ``prior.onnx``, the prior over its codes fitted on the run's
    training crops (:mod:`lmsdk.export.prior`).

    A distilled run (``lmsdk distill``) exports both detectors: ``detector`` (its teacher's hourglass, the most
    accurate) and ``tracker`` (the distilled lite detector, what video tracking runs). Every artifact carries
    ``reference.npz`` (crops and the PyTorch outputs on them, :mod:`lmsdk.export.attachments`); with
    ``with_weights`` also the PyTorch weights (``lmsdk train --init ARTIFACT``), with ``card`` a model card,
    with ``license`` the terms of use the manifest states.

    Everything is written into a temporary sibling folder that replaces ``out_dir`` as a whole only when the
    parity gate passed: a failed export leaves an existing artifact as it was.

    Raises:
        ParityError: a graph disagrees with the model beyond tolerance (nothing is written).
        OutputError: ``out_dir`` is or holds an input, is a file, or a folder that is not an artifact.
        BackendUnavailableError: ``trt`` without TensorRT or a GPU (nothing is written).
    """
    start = time.perf_counter()
    if labels_format is not None and labels is None:
        raise ConfigError(f"--labels-format {labels_format!r} names the format of --labels; give --labels too")
    run_dir, out_dir = Path(run_dir), Path(out_dir)
    model_dir = RunDir(run_dir).model
    if not (model_dir / WEIGHTS_FILE).is_file():
        raise CheckpointError(f"{model_dir}: no finished model (train to the end, or resume, first)")
    _check_out_dir(out_dir, run_dir, labels)
    if card is not None and not Path(card).is_file():
        raise ConfigError(f"--card {card}: no such file (a Markdown model card)")
    if trt:
        from lmsdk.export.tensorrt import require_tensorrt

        require_tensorrt("TensorRT export")  # before minutes of ONNX export and parity checks
    model = load_model(model_dir)
    named_info, graphs = None, {}
    if labels is not None:
        graphs, named_info = _named_points(model, labels, labels_format)
    count = len(named_info["names"]) if named_info else 0
    crops = _int8_crops(run_dir, model.config.crop_size) if int8 else None
    real = _parity_crops(run_dir, model.config.crop_size)
    generator = load_generator(model_dir) if has_generator(model_dir) else None
    extras = {"with_weights": with_weights, "card": None if card is None else Path(card), "license": license}
    prior = fit_run_prior(model, partial(_training_crops, run_dir, model.config.crop_size))
    with atomic_directory(out_dir) as staging:
        manifest, reports = _write_onnx(
            model, model_dir, run_dir, staging, graphs, named_info, count, fp16, real, crops, generator, prior, **extras
        )
    if trt:
        manifest = _add_engines(model, out_dir, manifest, fp16, graphs, count, real)
    return ExportResult(out_dir, manifest, reports, time.perf_counter() - start)


def _write_onnx(
    model: LandmarkAutoencoder,
    model_dir: Path,
    run_dir: Path,
    out_dir: Path,
    graphs: dict[str, torch.nn.Module],
    named_info: dict | None,
    count: int,
    fp16: bool,
    real: np.ndarray | None = None,
    int8_crops: np.ndarray | None = None,
    generator: ImageGenerator | None = None,
    prior: PriorFit | None = None,
    *,
    with_weights: bool = False,
    card: Path | None = None,
    license: str | None = None,
) -> tuple[Manifest, list[ParityReport]]:
    """Export every graph (and a generator run's generator) into ``out_dir``, gate on parity (``real``: the real
    crops of :func:`_parity_crops`), write the attachments and the manifest, check end to end."""
    files: dict[str, ModelFile] = {}
    reports: list[ParityReport] = []
    macs: dict[str, int] = {}
    components = [*COMPONENTS, *(c for c in detector_graphs(model) if c not in COMPONENTS)]
    graphs = {c: graphs.get(c) or GRAPHS[c](model) for c in components}
    for component in components:
        graph = graphs[component]
        path = export_component(model, component, out_dir / f"{component}.onnx", graph)
        reports.append(check_parity(model, component, path, "fp32", graph=graph, crops=real))
        macs[component] = multiply_adds(model, component, graph)
        files[component] = _entry(path, model, component, "fp32", count, macs[component])
        if fp16:
            half = to_fp16(path, out_dir / f"{component}.fp16.onnx")
            reports.append(check_parity(model, component, half, "fp16", graph=graph, crops=real))
            files[f"{component}.fp16"] = _entry(half, model, component, "fp16", count, macs[component])
        logger.info("exported %s", ", ".join(r.describe() for r in reports if r.component == component))
    if generator is not None:
        generator_files, generator_reports = export_generator(model, generator, out_dir, fp16, real)
        files.update(generator_files)
        reports.extend(generator_reports)
        logger.info("exported %s", ", ".join(r.describe() for r in generator_reports))
    prior_info = None
    if prior is not None:  # the prior over the codes (lmsdk.export.prior)
        prior_files, prior_report, prior_info = export_prior(prior, out_dir)
        files.update(prior_files)
        reports.append(prior_report)
        logger.info("exported %s", prior_report.describe())
    failed = [r for r in reports if not r.ok]
    if failed:
        raise ParityError("parity gate failed: " + "; ".join(r.describe() for r in failed))

    parity = {f"{r.component}.{r.precision}": r.to_manifest() for r in reports}
    if int8_crops is not None:
        tracking = detector_graphs(model)[-1]  # the tracker where there is one: int8 is for fast video
        path = out_dir / f"{tracking}.int8.onnx"
        report = int8_detector(out_dir / f"{tracking}.onnx", path, int8_crops)
        files[f"{tracking}.int8"] = _entry(path, model, tracking, "int8", count, macs[tracking])
        parity[f"{tracking}.int8"] = {
            "crop_px": {"mean": report.mean_px, "p99": report.p99_px, "max": report.max_px},
            "tolerance_px": dict(INT8_TOLERANCE_PX),
            "crops": report.crops,
        }
    attachments = write_reference(model, graphs, real_batch(model.config.crop_size, real, 0)[0], out_dir)
    if with_weights:
        attachments |= write_weights(model, out_dir)
    if card is not None:
        attachments |= write_card(card, out_dir)
    manifest = Manifest(
        schema_version=SCHEMA_VERSION,
        lmsdk_version=__version__,
        created_utc=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        num_landmarks=model.config.num_landmarks,
        descriptor_dim=model.config.descriptor_dim if model.config.has_descriptors else 0,
        input=InputSpec(crop_size=model.config.crop_size, padded_size=model.config.padded_size),
        coordinates=COORDINATES,
        framing=_framing(RunDir(run_dir)),
        files=files,
        parity=parity,
        versions={
            "torch": torch.__version__,
            "onnx": onnx.__version__,
            "onnxruntime": onnxruntime.__version__,
            "opset": str(OPSET),
            "exporter": EXPORTER,
        },
        source=source_info(run_dir, model_dir / WEIGHTS_FILE),
        named_points=named_info,
        generator=None if generator is None else describe_generator(generator),
        prior=prior_info,
        attachments=attachments,
        license=license,
    )
    atomic_write_bytes(out_dir / MANIFEST_FILE, manifest.to_json().encode())
    error_px = _end_to_end_error(model, out_dir)
    if error_px > END_TO_END_TOLERANCE_PX:
        (out_dir / MANIFEST_FILE).unlink()
        raise ParityError(
            f"runtime landmarks differ from the model's by {error_px:.3f} px on a 97 x 131 picture "
            f"(tolerance {END_TO_END_TOLERANCE_PX} px)"
        )
    manifest.parity["end_to_end_px"] = {"max_abs": error_px, "tolerance": END_TO_END_TOLERANCE_PX}
    atomic_write_bytes(out_dir / MANIFEST_FILE, manifest.to_json().encode())
    return manifest, reports


def _int8_crops(run_dir: Path, crop_size: int) -> np.ndarray:
    """Crops of the run's training data for int8 calibration and its check (it needs them: DataError without)."""
    try:
        return _training_crops(run_dir, crop_size, 2 * CALIBRATION_CROPS)
    except DataError as exc:
        raise DataError(f"int8 calibration needs them: {exc}") from None


def _parity_crops(run_dir: Path, crop_size: int) -> np.ndarray | None:
    """``BATCHES[-1]`` crops of the run's training data for the parity gate, or None (the gate then uses synthetic
    faces, and the manifest says so) where that data is not readable on this machine."""
    try:
        return _training_crops(run_dir, crop_size, BATCHES[-1])
    except DataError as exc:  # no data here, or a run folder without (a readable) config.json
        logger.warning("parity checked on synthetic faces, not on training crops: %s", exc)
        return None


def _training_crops(run_dir: Path, crop_size: int, count: int) -> np.ndarray:
    """``(n, S, S, 3)`` uint8 RGB crops of the run's training data, evenly spread
    (:func:`~lmsdk.data.sources.training_crops`); :class:`DataError` where its config or its data cannot be read."""
    from lmsdk.configio import from_dict
    from lmsdk.data.sources import DataConfig, training_crops

    run = RunDir(run_dir)
    try:
        data = from_dict(DataConfig, run.read_config().get("data", {}), f"{run.config}: data")
        return training_crops(data, crop_size, count)
    except LmsdkError as exc:
        raise DataError(f"the run's training crops are not readable here: {exc}") from None


def _end_to_end_error(model: LandmarkAutoencoder, out_dir: Path) -> float:
    """Max pixel distance between the runtime Detector and the eager model on real-looking, oddly sized pictures."""
    from lmsdk.runtime.detector import Detector

    faces = SyntheticFaces(160, 3, seed=int.from_bytes(os.urandom(4), "little") % (2**31))
    pictures = [face[:131, 20:117] for face in faces.images(range(3))]  # RGB, odd sizes
    worst = 0.0
    with Detector(out_dir) as detector:
        for picture in pictures:
            box = Box.centered_square(picture.shape[1], picture.shape[0])
            crop = crop_resize(picture, box, model.config.crop_size)  # the training side crops RGB
            with torch.no_grad():
                points = DetectorGraph(model).eval()(images_to_tensor(crop[None]))[0][0].numpy()
            expected = crop_to_image(points, box)
            found = detector(rgb_to_bgr(picture)).points  # the runtime's boundary takes OpenCV order
            worst = max(worst, float(np.abs(found - expected).max()))
    return worst


def _add_engines(
    model: LandmarkAutoencoder,
    out_dir: Path,
    manifest: Manifest,
    fp16: bool,
    graphs: dict[str, torch.nn.Module],
    named: int,
    real: np.ndarray | None = None,
) -> Manifest:
    from lmsdk.export.tensorrt import build_engine
    from lmsdk.runtime.trt import TrtBackend

    precision = "fp16" if fp16 else "fp32"
    for component in [*COMPONENTS, *(c for c in detector_graphs(model) if c not in COMPONENTS)]:
        engine = out_dir / f"{component}.engine"
        half = out_dir / f"{component}.fp16.onnx"
        build_engine(out_dir / f"{component}.onnx", engine, fp16=fp16, fp16_onnx=half if half.exists() else None)
        graph = graphs.get(component)
        report = check_parity(model, component, engine, precision, backend=TrtBackend(engine), graph=graph, crops=real)
        if not report.ok:
            raise ParityError(f"TensorRT engine failed the parity gate: {report.describe()}")
        manifest.files[f"{component}.trt"] = _entry(engine, model, component, precision, named)
        manifest.parity[f"{component}.trt.{precision}"] = report.to_manifest()
    atomic_write_bytes(out_dir / MANIFEST_FILE, manifest.to_json().encode())
    return manifest
