"""What this machine offers lmsdk: packages, execution providers, GPUs, CPU bf16 units, a display, a camera.

Torch-free: package versions come from the installed distributions' metadata, GPUs from the CUDA driver
(ctypes); torch is imported only when it is installed (for its view of CUDA and the CPU's bf16 units), and
TensorRT is never imported. Each :class:`Check` says what it is needed for and how to get it; ``needs``
names what a user wants to do (:data:`NEEDS`), so a missing piece of that is an error.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

from lmsdk import __version__

#: What a user may ask for, and the checks each needs.
NEEDS = {
    "runtime": ("onnxruntime",),
    "train": ("torch", "train extras"),
    "gpu": ("NVIDIA GPU", "onnxruntime CUDA"),
    "trt": ("NVIDIA GPU", "TensorRT", "cuda-python"),
    "bf16": ("CPU bf16",),
    "display": ("display",),
    "camera": ("camera",),
}
TRAIN_EXTRAS = ("safetensors", "onnx", "matplotlib", "scipy", "scikit-learn", "tensorboard")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    found: str  # versions, providers, devices
    needed_for: str
    fix: str = ""  # what to install or do when not ok

    def status(self) -> str:
        return "ok" if self.ok else "missing"


def version(distribution: str) -> str | None:
    """The installed version of a distribution, or None (reads metadata only; imports nothing)."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _first_version(*distributions: str) -> str | None:
    return next((v for v in map(version, distributions) if v), None)


def check_lmsdk() -> Check:
    return Check("lmsdk", True, f"{__version__} (Python {platform.python_version()}, {sys.platform})", "everything")


def _torch():
    """The torch module when it is installed and importable, else None (imported only here, on demand)."""
    if version("torch") is None:
        return None
    try:
        import torch
    except ImportError:
        return None
    return torch


def check_torch() -> Check:
    found = version("torch")
    needed = "train, export, eval of run directories"
    torch = _torch()
    if torch is None:
        state = "not installed" if found is None else f"{found} installed but not importable"
        return Check("torch", False, state, needed, "pip install 'lmsdk[train,cpu]'")
    cuda = (
        f"CUDA {torch.version.cuda}, {torch.cuda.device_count()} GPU(s)" if torch.cuda.is_available() else "CPU build"
    )
    return Check("torch", True, f"{found} ({cuda})", needed)


def check_train_extras() -> Check:
    missing = [d for d in TRAIN_EXTRAS if version(d) is None]
    found = "all present" if not missing else f"missing {', '.join(missing)}"
    return Check(
        "train extras",
        not missing,
        found,
        "train, export, eval",
        "" if not missing else "pip install 'lmsdk[train,cpu]'",
    )


def check_onnxruntime() -> tuple[Check, list[str]]:
    """onnxruntime and its execution providers (the runtime's backend); also returns the provider list."""
    cpu, gpu = version("onnxruntime"), version("onnxruntime-gpu")
    if cpu is None and gpu is None:
        fix = "pip install 'lmsdk[cpu]' (or 'lmsdk[gpu]' on NVIDIA machines)"
        return Check(
            "onnxruntime", False, "not installed", "the runtime: track, edit, morph, eval of artifacts", fix
        ), []
    import onnxruntime

    providers = list(onnxruntime.get_available_providers())
    both = cpu is not None and gpu is not None
    found = f"{onnxruntime.__version__}: {', '.join(p.removesuffix('ExecutionProvider') for p in providers)}"
    fix = "uninstall onnxruntime and onnxruntime-gpu, then install one: pip install 'lmsdk[cpu]' or 'lmsdk[gpu]'"
    return Check("onnxruntime", not both, found + (" (both cpu and gpu packages!)" if both else ""),
                 "the runtime: track, edit, morph, eval of artifacts", fix if both else ""), providers  # fmt: skip


def check_cuda_provider(providers: list[str]) -> Check:
    ok = "CUDAExecutionProvider" in providers
    fix = "pip uninstall onnxruntime; pip install 'lmsdk[gpu]' (with a matching CUDA and cuDNN)"
    return Check("onnxruntime CUDA", ok, "available" if ok else "not available", "--device cuda", "" if ok else fix)


def check_gpus() -> Check:
    from lmsdk.runtime.devices import gpu_names

    names = gpu_names()
    fix = "an NVIDIA GPU with its driver (libcuda)"
    return Check(
        "NVIDIA GPU", bool(names), "; ".join(names) or "none found", "--device cuda, --trt", "" if names else fix
    )


def check_tensorrt() -> Check:
    found = _first_version("tensorrt", "tensorrt-cu12", "tensorrt-cu13", "tensorrt-cu11")
    if found is None and importlib.util.find_spec("tensorrt") is not None:
        found = "installed (version unknown)"
    fix = "pip install 'lmsdk[trt]' (TensorRT 10 or 11, on an NVIDIA machine)"
    return Check(
        "TensorRT",
        found is not None,
        found or "not installed",
        "export --trt, --backend tensorrt",
        "" if found else fix,
    )


def check_cuda_python() -> Check:
    found = _first_version("cuda-python", "cuda-bindings")
    fix = "pip install 'lmsdk[trt]'"
    return Check("cuda-python", found is not None, found or "not installed", "TensorRT engines", "" if found else fix)


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    line = next((x for x in text.splitlines() if x.startswith("flags")), "")
    return set(line.partition(":")[2].split())


def check_bf16() -> Check:
    """Native bf16 units of the CPU: torch's own view when torch is installed, else the CPU flags (Linux)."""
    torch = _torch()
    if torch is not None:
        avx512, amx = torch.cpu._is_avx512_bf16_supported(), torch.cpu._is_amx_tile_supported()
        source = "torch"
    else:
        flags = _cpu_flags()
        avx512, amx = "avx512_bf16" in flags, "amx_bf16" in flags
        source = "/proc/cpuinfo" if flags else "unknown (no torch, no /proc/cpuinfo)"
    units = [name for name, present in (("AVX512-BF16", avx512), ("AMX", amx)) if present]
    found = f"{', '.join(units) or 'none'} ({source})"
    fix = "none on this CPU: training runs in fp32 (--precision auto picks bf16 only with native units)"
    return Check("CPU bf16", bool(units), found, "--precision bf16 at full speed", "" if units else fix)


def check_display() -> Check:
    from lmsdk.video import has_display

    ok = has_display()
    fix = "a desktop session (DISPLAY or WAYLAND_DISPLAY); without one, write the overlay with --out"
    return Check("display", ok, "yes" if ok else "none", "track --show, examples/webcam_demo.py", "" if ok else fix)


def check_camera() -> Check:
    if sys.platform.startswith("linux"):
        devices = sorted(str(p) for p in Path("/dev").glob("video*"))
        fix = "a camera (a /dev/video* device); or track a video file instead"
        return Check(
            "camera", bool(devices), ", ".join(devices) or "none", "lmsdk track ARTIFACT 0", "" if devices else fix
        )
    return Check("camera", True, f"not probed on {sys.platform}", "lmsdk track ARTIFACT 0")


def collect() -> list[Check]:
    """Every check, in the order of the table."""
    runtime, providers = check_onnxruntime()
    return [
        check_lmsdk(),
        runtime,
        check_torch(),
        check_train_extras(),
        check_gpus(),
        check_cuda_provider(providers),
        check_tensorrt(),
        check_cuda_python(),
        check_bf16(),
        check_display(),
        check_camera(),
    ]


def missing_for(checks: list[Check], needs: list[str]) -> list[Check]:
    """The failed checks among those ``needs`` (names of :data:`NEEDS`) require."""
    wanted = {name for need in needs for name in NEEDS[need]}
    return [c for c in checks if c.name in wanted and not c.ok]
