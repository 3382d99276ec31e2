"""Backend selection, GPU warnings and TensorRT refusals, testable without a GPU."""

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from lmsdk.runtime import BackendUnavailableError, EngineIncompatibleError, cuda_device_count
from lmsdk.runtime.backends import OrtBackend, resolve_providers
from lmsdk.runtime.trt import check_engine_compatible, read_sidecar

ROOT = Path(__file__).resolve().parents[2]


def test_provider_resolution_prefers_gpu_providers_when_present():
    everything = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]
    assert resolve_providers("cpu", everything) == ["CPUExecutionProvider"]
    assert resolve_providers("cuda", everything) == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    trt = resolve_providers("cuda", everything, tensorrt=True, cache_dir="/tmp/c")
    assert trt[0][0] == "TensorrtExecutionProvider" and trt[0][1]["trt_engine_cache_path"] == "/tmp/c"
    assert resolve_providers("cuda", ["CPUExecutionProvider"]) == ["CPUExecutionProvider"]
    with pytest.raises(BackendUnavailableError, match="unknown device"):
        resolve_providers("tpu", everything)


def test_asking_for_a_gpu_without_one_warns_and_reports_the_cpu(artifact, caplog):
    with caplog.at_level(logging.WARNING, logger="lmsdk.runtime.backends"):
        backend = OrtBackend(artifact / "detector.onnx", device="cuda")
    assert backend.name == "onnxruntime[CPUExecutionProvider]"
    assert any("GPU was asked for" in r.message for r in caplog.records)


def test_engine_from_another_tensorrt_version_or_gpu_is_refused(tmp_path):
    engine = tmp_path / "detector.engine"
    sidecar = {"tensorrt": "10.9.0", "gpu": "NVIDIA A100", "precision": "fp16"}
    check_engine_compatible(sidecar, "10.9.0", "NVIDIA A100", engine)  # the same machine: accepted
    with pytest.raises(EngineIncompatibleError, match=r"TensorRT 10\.9\.0.*11\.1.*Rebuild"):
        check_engine_compatible(sidecar, "11.1.0", "NVIDIA A100", engine)
    with pytest.raises(EngineIncompatibleError, match="H100"):
        check_engine_compatible(sidecar, "10.9.0", "NVIDIA H100", engine)
    with pytest.raises(EngineIncompatibleError, match="sidecar missing"):
        read_sidecar(engine)


def test_gpu_count_follows_the_driver(monkeypatch):
    from lmsdk.runtime import devices

    class FakeDriver:
        def __init__(self, init: int, count: int) -> None:
            self.init, self.count = init, count

        def cuInit(self, flags):
            return self.init

        def cuDeviceGetCount(self, out):
            out._obj.value = self.count  # out is ctypes.byref(c_int)
            return 0

    def no_driver(name):
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(devices.ctypes, "CDLL", no_driver)
    assert cuda_device_count() == 0 and devices.gpu_names() == []  # no driver: zero devices, no exception
    monkeypatch.setattr(devices.ctypes, "CDLL", lambda name: FakeDriver(0, 3))
    assert cuda_device_count() == 3
    monkeypatch.setattr(devices.ctypes, "CDLL", lambda name: FakeDriver(100, 3))  # cuInit fails: no usable GPU
    assert cuda_device_count() == 0


def test_tensorrt_without_tensorrt_fails_instead_of_running_something_else(artifact):
    from lmsdk.runtime import Detector, open_backend

    with pytest.raises(BackendUnavailableError, match="--device cuda"):
        Detector(artifact, backend="tensorrt")
    with pytest.raises(BackendUnavailableError, match="TensorRT"):
        open_backend(artifact / "detector.onnx", backend="tensorrt", device="cuda")


def test_runtime_import_does_not_import_torch(tmp_path):
    blocked = tmp_path / "blocked" / "torch"
    blocked.mkdir(parents=True)
    (blocked / "__init__.py").write_text("raise ImportError('torch is blocked in this test')\n")
    code = (
        "import sys, lmsdk.runtime\nfrom lmsdk.runtime import Detector, Encoder, Decoder\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    import os

    env = {**os.environ, "PYTHONPATH": f"{blocked.parent}:{ROOT}"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_detector_runs_in_a_torch_free_process(artifact, tmp_path):
    blocked = tmp_path / "blocked" / "torch"
    blocked.mkdir(parents=True)
    (blocked / "__init__.py").write_text("raise ImportError('torch is blocked in this test')\n")
    code = (
        "import sys, numpy as np\nfrom lmsdk.runtime import Detector\n"
        f"det = Detector({str(artifact)!r})\n"
        "res = det(np.full((90, 120, 3), 128, np.uint8))\n"
        "assert res.points.shape == (8, 2) and 'torch' not in sys.modules\n"
    )
    import os

    env = {**os.environ, "PYTHONPATH": f"{blocked.parent}:{ROOT}"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_the_manifest_counts_each_graphs_multiply_adds_and_small_graphs_get_one_thread(artifact, tiny_run):
    """Export writes the multiply-adds per image of every graph; the runtime opens a small graph on one
    onnxruntime thread unless told otherwise (a large one, or an old artifact without the count, keeps
    onnxruntime's default)."""
    import dataclasses

    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from lmsdk.export.wrappers import DetectorGraph
    from lmsdk.model import load_model
    from lmsdk.runtime import Detector
    from lmsdk.runtime.artifact import SINGLE_THREAD_MACS, Artifact, default_threads

    model = load_model(tiny_run / "model").eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        DetectorGraph(model)(torch.rand(1, 3, model.config.crop_size, model.config.crop_size))
    files = Artifact(artifact).manifest.files
    assert files["detector"].macs == counter.get_total_flops() // 2 > 0
    assert files["encoder"].macs > 0 and files["decoder"].macs > 0
    assert files["detector.fp16"].macs == files["detector"].macs

    small = files["detector"]
    assert small.macs <= SINGLE_THREAD_MACS
    assert default_threads(small, "cpu") == 1 and default_threads(small, "cuda") is None
    assert default_threads(dataclasses.replace(small, macs=SINGLE_THREAD_MACS + 1), "cpu") is None
    assert default_threads(dataclasses.replace(small, macs=None), "cpu") is None
    options = Detector(artifact).backend.session.get_session_options()
    assert options.intra_op_num_threads == 1
    assert Detector(artifact, threads=2).backend.session.get_session_options().intra_op_num_threads == 2
