"""The command line: help for every option, one-line errors with exit status 2, a real tiny run."""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from lmsdk.cli import app


def _run(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lmsdk", *args], capture_output=True, text=True, timeout=timeout)


def test_every_option_of_every_command_has_help():
    import typer.main

    commands = typer.main.get_command(app).commands
    assert {"train", "export", "eval", "track", "edit", "morph", "demo-video", "doctor"} <= set(commands)
    for name, command in commands.items():
        options = [p for p in command.params if p.param_type_name == "option"]
        assert options or name == "demo-video", name
        for param in options:
            assert param.help, f"lmsdk {name} {param.opts[0]} has no help text"


def test_help_lists_commands():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0 and "train" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--out", "{tmp}/r", "--data", "{tmp}/missing"], "no such file or folder"),
        (["train", "--out", "{tmp}/r", "--preset", "nonsense"], "unknown preset"),
        (["train", "--out", "{tmp}/r", "--batch-size", "1"], "batch size"),
        (["train", "--out", "{tmp}/r", "--precision", "fp8"], "precision"),
        (["train", "--out", "{tmp}/r", "--image-size", "50"], "multiple of"),
        (["train", "--out", "{tmp}/r", "--image-size", "100000"], "largest supported crop"),
        (["train", "--out", "{tmp}/nothing", "--resume"], "config.json"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    proc = _run(*[a.format(tmp=tmp_path) for a in args])
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_train_runs_end_to_end_and_resume_refuses_new_settings(tmp_path):
    run = tmp_path / "run"
    proc = _run("train", "--preset", "tiny", "--steps", "4", "--out", str(run), "--quiet", "-k", "4")
    assert proc.returncode == 0, proc.stderr
    assert "model written to" in proc.stdout
    config = json.loads((run / "config.json").read_text())
    assert config["model"]["num_landmarks"] == 4
    assert config["loss"]["separation_sigma"] == pytest.approx(0.08 * (10 / 6) ** 0.5 * (6 / 4) ** 0.5)
    again = _run("train", "--out", str(run), "--resume", "--steps", "8")
    assert again.returncode == 2 and "cannot change when resuming" in again.stderr


def test_training_help_shows_the_defaults_of_the_configs():
    from lmsdk.trainer import SharpenConfig, get_preset
    from lmsdk.trainer.stages.generation import Generation

    def shown(*args: str) -> str:
        result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "400"})
        assert result.exit_code == 0, result.output
        return " ".join(result.output.split())

    sharpen = shown("sharpen")
    assert f"(default: {SharpenConfig(source='').reconstruction})" in sharpen and "(default: fp32)" in sharpen
    generator = shown("train-generator")
    assert f"(default: {Generation.steps})" in generator and "--start-from" in generator
    assert "as in the paper). (default: prior)" in generator
    assert f"(default: {get_preset('cpu').steps} with the cpu preset)" in shown("train")
