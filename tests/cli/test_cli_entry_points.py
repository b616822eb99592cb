"""The command through its real entry points: ``python -m layerkit.cli`` and the console script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import layerkit as lk


def run(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # A clean environment for the child: pytest's warning filters do not apply there.
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONWARNINGS"}
    return subprocess.run(
        arguments, cwd=cwd, capture_output=True, text=True, timeout=120, env=environment
    )


def test_python_m_layerkit_cli_trains_and_saves(tmp_path):
    result = run(
        sys.executable, "-m", "layerkit.cli", "train", "--save", "h.npz", "--json", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["final_loss"] < summary["initial_loss"] / 100
    assert result.stderr == ""  # not a terminal: no progress bar
    assert lk.serialization.read(tmp_path / "h.npz").metadata["targets"] == ["sum", "carry"]


def test_python_m_layerkit_cli_error_is_one_line(tmp_path):
    result = run(sys.executable, "-m", "layerkit.cli", "train", "--layers", "2,x", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("layerkit train: error:")


def test_missing_click_says_how_to_install_it(tmp_path):
    code = "import sys; sys.modules['click'] = None; from layerkit.cli import main; main(['train'])"
    result = run(sys.executable, "-c", code, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert f"{sys.executable} -m pip install click tqdm" in result.stderr


def test_console_script(tmp_path):
    script = shutil.which("layerkit", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the layerkit console script is not installed (reinstall the package)")
    result = run(script, "explain", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["loss"] > 0


def test_main_reads_the_process_arguments_like_the_console_script(tmp_path):
    code = (
        "import sys; from layerkit.cli import main; "
        "sys.argv = ['layerkit', 'plugins', '--all']; main()"
    )
    result = run(sys.executable, "-c", code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].split()[:2] == ["layerkit", "layerkit"]


@pytest.mark.guarantee("command-line")
def test_every_entry_point_alone_shows_the_same_help(tmp_path):
    """`layerkit`, `python -m layerkit` and `python -m layerkit.cli` alone: help, exit 0."""
    runs = [
        run(sys.executable, "-m", "layerkit", cwd=tmp_path),  # ran `train` before
        run(sys.executable, "-m", "layerkit.cli", cwd=tmp_path),  # exited 2 before
    ]
    script = shutil.which("layerkit", path=str(Path(sys.executable).parent))
    if script is not None:
        runs.append(run(script, cwd=tmp_path))
    for result in runs:
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("Usage: layerkit [OPTIONS] COMMAND")
        assert result.stdout == runs[0].stdout and result.stderr == ""
    assert list(tmp_path.iterdir()) == []  # nothing trained, nothing written


@pytest.mark.guarantee("command-line")
def test_a_terminal_that_cannot_show_the_formulas_gets_one_line(tmp_path):
    environment = {**os.environ, "PYTHONIOENCODING": "latin-1"}
    environment.pop("PYTHONWARNINGS", None)
    result = subprocess.run(
        [sys.executable, "-m", "layerkit", "explain"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, env=environment,
    )  # fmt: skip
    assert result.returncode == 1  # was a UnicodeEncodeError traceback
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "PYTHONIOENCODING=utf-8" in result.stderr
