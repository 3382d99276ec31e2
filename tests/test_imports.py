"""The import rules of docs/design.md: the torch-free parts stay torch-free, stages import downward only."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TORCH_FREE = [
    "lmsdk",
    "lmsdk.errors",
    "lmsdk.fileio",
    "lmsdk.configio",
    "lmsdk.viz",
    "lmsdk.cli",
    "lmsdk.geometry",
    "lmsdk.images",
    "lmsdk.video",
    "lmsdk.outputs",
    "lmsdk.doctor",
    "lmsdk.data.clips",
]


def _blocked_torch_env(tmp_path: Path) -> dict[str, str]:
    """A PYTHONPATH entry whose `torch` package raises on import: any import of torch fails loudly."""
    fake = tmp_path / "blocked" / "torch"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('torch is blocked in this test')\n")
    import os

    return {**os.environ, "PYTHONPATH": f"{fake.parent}:{ROOT}"}


@pytest.mark.parametrize("module", TORCH_FREE)
def test_module_imports_without_torch(tmp_path, module):
    code = f"import {module}, sys; assert 'torch' not in sys.modules"
    proc = subprocess.run(
        [sys.executable, "-c", code], env=_blocked_torch_env(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr


def test_cli_help_does_not_import_torch(tmp_path):
    code = (
        "import sys\n"
        "sys.argv = ['lmsdk', '--help']\n"
        "from lmsdk.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "assert 'torch' not in sys.modules\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=_blocked_torch_env(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "train" in proc.stdout


def test_doctor_runs_without_torch_and_says_what_to_install(tmp_path):
    code = "import sys\nsys.argv = ['lmsdk', 'doctor']\nfrom lmsdk.cli import main\nmain()\n"
    proc = subprocess.run(
        [sys.executable, "-c", code], env=_blocked_torch_env(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    for row in ("lmsdk", "onnxruntime", "torch", "TensorRT", "cuda-python", "NVIDIA GPU", "CPU bf16", "display"):
        assert row in proc.stdout
    assert "lmsdk[train,cpu]" in proc.stdout  # torch cannot be imported here: the row says what to install


def test_data_never_loads_the_runtime(tmp_path):
    code = "import sys, lmsdk.data\nassert not any(m.startswith('lmsdk.runtime') for m in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr


def test_import_linter_contracts_hold():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("import-linter is part of the [dev] extra and must be installed to run the tests")
    proc = subprocess.run([exe], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "broken" in proc.stdout and "0 broken" in proc.stdout
