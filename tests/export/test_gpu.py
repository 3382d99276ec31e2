"""GPU-only checks: TensorRT engines and CUDA training. They skip cleanly on machines without them."""

import importlib.util

import numpy as np
import pytest
import torch

from lmsdk.runtime import cuda_device_count

HAS_GPU = torch.cuda.is_available() and cuda_device_count() > 0
HAS_TRT = importlib.util.find_spec("tensorrt") is not None and importlib.util.find_spec("cuda") is not None

requires_gpu = pytest.mark.skipif(not HAS_GPU, reason="needs an NVIDIA GPU with CUDA")
requires_trt = pytest.mark.skipif(not (HAS_GPU and HAS_TRT), reason="needs TensorRT, cuda-python and a GPU")


@pytest.mark.gpu
@requires_gpu
def test_cuda_training_runs_and_matches_the_cpu_graph(tmp_path, tiny_config):
    from lmsdk.model import load_model
    from lmsdk.trainer import train

    train(tiny_config.replace(device="cuda", steps=5, sample_every=0, checkpoint_every=0, bn_batches=2), tmp_path / "r")
    model = load_model(tmp_path / "r" / "model", device="cuda")
    x = torch.rand(2, 3, 48, 48)
    with torch.no_grad():
        gpu = model.encode(x.cuda()).points.cpu()
        cpu = load_model(tmp_path / "r" / "model").encode(x).points
    assert torch.allclose(gpu, cpu, atol=1e-4)


@pytest.mark.trt
@requires_trt
@pytest.mark.parametrize("fp16", [False, True])
def test_tensorrt_engines_pass_the_parity_gate(tiny_run, tmp_path, fp16):
    from lmsdk.export import export_run
    from lmsdk.runtime import Detector
    from lmsdk.spec import read_manifest

    result = export_run(tiny_run, tmp_path / "trt", fp16=fp16, trt=True)
    manifest = read_manifest(tmp_path / "trt")
    precision = "fp16" if fp16 else "fp32"
    for component in ("detector", "encoder", "decoder"):
        assert f"{component}.trt" in manifest.files
        assert manifest.parity[f"{component}.trt.{precision}"]["max_abs"]
    det = Detector(tmp_path / "trt", backend="tensorrt", device="cuda")
    assert det.backend_name.startswith("tensorrt")
    onnx_det = Detector(tmp_path / "trt")
    image = np.random.default_rng(0).integers(0, 255, (90, 120, 3), np.uint8)
    tol = 0.5 if fp16 else 0.05  # pixels of a 90 x 120 picture
    assert np.abs(det(image).points - onnx_det(image).points).max() < tol
    assert result.seconds > 0
