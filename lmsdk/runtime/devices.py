"""NVIDIA GPUs as the driver reports them, through ``libcuda`` (ctypes): needs neither torch nor TensorRT."""

from __future__ import annotations

import ctypes
import sys


def _libcuda() -> ctypes.CDLL | None:
    """The CUDA driver library, initialised; None without a driver or a usable device."""
    try:
        lib = ctypes.CDLL("nvcuda.dll" if sys.platform == "win32" else "libcuda.so.1")
    except OSError:
        return None
    if lib.cuInit(0) != 0:
        return None
    return lib


def cuda_device_count() -> int:
    """NVIDIA GPUs the driver reports (0 without a driver)."""
    lib = _libcuda()
    count = ctypes.c_int(0)
    if lib is None or lib.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return 0
    return count.value


def gpu_names() -> list[str]:
    """The name of each NVIDIA GPU the driver reports (empty without a driver)."""
    lib = _libcuda()
    if lib is None:
        return []
    names = []
    for index in range(cuda_device_count()):
        device, buffer = ctypes.c_int(0), ctypes.create_string_buffer(256)
        if lib.cuDeviceGet(ctypes.byref(device), index) != 0 or lib.cuDeviceGetName(buffer, 256, device) != 0:
            names.append(f"GPU {index} (name not readable)")
        else:
            names.append(buffer.value.decode(errors="replace"))
    return names
