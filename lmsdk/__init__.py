"""lmsdk: unsupervised object landmark discovery (Zhang et al., CVPR 2018) as software.

Importing ``lmsdk`` imports nothing heavy (no torch, onnx or tensorrt), so the torch-free runtime
(:mod:`lmsdk.runtime`) stays torch-free. Stages live in subpackages: ``lmsdk.ops`` (numerics),
``lmsdk.model``, ``lmsdk.data``, ``lmsdk.trainer``, ``lmsdk.eval``, ``lmsdk.export``, ``lmsdk.runtime``.
"""

__version__ = "0.1.0"
