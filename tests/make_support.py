"""Run the project's Makefile on a throwaway copy, with pip replaced by ``echo``.

Used by ``test_makefile.py`` and ``fuzz/test_fuzz_install.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MAKEFILE = REPO_ROOT / "Makefile"
RUN_INSTALL = "pip install -r requirements-run.txt"
TEST_INSTALL = "pip install -r requirements-dev.txt"


def make_project(root: Path) -> Path:
    """A copy of what the Makefile reads, with stub project files; returns ``root``."""
    (root / "scripts").mkdir(parents=True)
    for name in ("Makefile", "requirements-run.txt", "requirements-dev.txt"):
        shutil.copy(REPO_ROOT / name, root / name)
    shutil.copy(REPO_ROOT / "scripts" / "ensure_venv.sh", root / "scripts")
    (root / "pyproject.toml").write_text("# stub\n")
    for plugin in ("layerkit-activations", "layerkit-losses", "layerkit-optimizers"):
        (root / "plugins" / plugin).mkdir(parents=True)
        (root / "plugins" / plugin / "pyproject.toml").write_text("# stub\n")
    return root


def make(
    root: Path,
    *targets: str,
    pip: str = "echo pip install",
    python: str = sys.executable,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``make TARGETS`` in ``root`` with a fake pip; return what it printed."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PYTHON")  # no outer make leaks in
    }
    result = subprocess.run(
        [
            "make",
            "--no-print-directory",
            f"PYTHON={python}",
            f"PIP={pip}",
            "VENV_ARGS=--without-pip",
            *targets,
        ],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def installs(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The pip calls a make run made, in order."""
    return [line for line in result.stdout.splitlines() if line.startswith("pip install")]
