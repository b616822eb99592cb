"""The README's two commands set up what they need, and no more: the Makefile's install levels.

Each test copies the Makefile, the requirements files and ``scripts/ensure_venv.sh`` into a
temporary project and runs real ``make`` there with pip replaced by ``echo pip install`` and
venvs made ``--without-pip`` (``make_support.py``), so what each target would install is read
off its output in a fraction of a second, with nothing downloaded.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from make_support import (
    MAKEFILE,
    REPO_ROOT,
    RUN_INSTALL,
    TEST_INSTALL,
    installs,
    make,
    make_project,
)

# docs/guarantees.md makes no promise about setting up, so only the tests of a failure's
# one-line message carry a guarantee marker.
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


def test_make_run_installs_only_what_the_main_job_needs(project: Path) -> None:
    assert installs(make(project, "setup")) == [RUN_INSTALL]
    lines = [
        line.split("#")[0].strip()
        for line in (REPO_ROOT / "requirements-run.txt").read_text().splitlines()
    ]
    assert [line for line in lines if line] == [
        "-e .[cli]",
        "-e ./plugins/layerkit-activations",
        "-e ./plugins/layerkit-losses",
        "-e ./plugins/layerkit-optimizers",
    ]


def test_make_run_depends_on_the_run_level_only() -> None:
    text = MAKEFILE.read_text()
    assert re.search(r"^run: \$\(RUN_STAMP\) ", text, re.M), "make run must not need the dev tools"


def test_make_test_adds_the_rest_and_make_run_then_does_nothing(project: Path) -> None:
    assert installs(make(project, "setup")) == [RUN_INSTALL]
    assert installs(make(project, "setup-dev")) == [TEST_INSTALL]
    assert installs(make(project, "setup")) == []
    assert installs(make(project, "setup-dev")) == []


def test_make_test_on_a_fresh_clone_installs_each_level_once(project: Path) -> None:
    assert installs(make(project, "setup-dev")) == [RUN_INSTALL, TEST_INSTALL]
    assert installs(make(project, "setup", "setup-dev")) == []


def test_a_changed_dependency_file_reinstalls(project: Path) -> None:
    make(project, "setup-dev")
    stamp = (project / ".venv" / ".installed-run").stat().st_mtime
    pyproject = project / "plugins" / "layerkit-losses" / "pyproject.toml"
    os.utime(pyproject, (stamp + 10, stamp + 10))
    assert installs(make(project, "setup-dev")) == [RUN_INSTALL, TEST_INSTALL]


def test_a_venv_of_another_python_is_rebuilt(project: Path) -> None:
    make(project, "setup-dev")
    python = project / ".venv" / "bin" / "python"
    python.unlink()
    python.write_text("#!/bin/sh\necho pypy 3.10.14 /opt/pypy\n")
    python.chmod(0o755)
    result = make(project, "setup")
    assert "rebuilding .venv: it was made by another Python (pypy 3.10.14" in result.stdout
    assert installs(result) == [RUN_INSTALL]
    assert not python.read_text(errors="replace").startswith("#!/bin/sh")
    assert not (project / ".venv" / ".installed-test").exists()


def test_a_venv_whose_python_does_not_run_is_rebuilt(project: Path) -> None:
    make(project, "setup")
    (project / ".venv" / "bin" / "python").unlink()
    result = make(project, "setup")
    assert "rebuilding .venv: its python does not run" in result.stdout
    assert installs(result) == [RUN_INSTALL]


@pytest.mark.parametrize("level", ["setup", "setup-dev"])
def test_a_venv_a_failed_install_left_is_rebuilt_not_reused(project: Path, level: str) -> None:
    if level == "setup-dev":
        make(project, "setup")
    failed = make(project, level, pip="false", check=False)
    assert failed.returncode != 0
    result = make(project, "setup")
    assert "rebuilding .venv: an earlier set-up did not finish" in result.stdout
    assert installs(result) == [RUN_INSTALL]


@pytest.mark.guarantee("command-line")
@pytest.mark.parametrize("version", ["3 10", "2 7"])
def test_a_python_older_than_3_11_is_refused_before_any_venv(project: Path, version: str) -> None:
    old = project / "old-python"
    old.write_text(f"#!/bin/sh\necho {version}\n")
    old.chmod(0o755)
    result = make(project, "setup", python=str(old), check=False)
    assert result.returncode != 0
    assert f"layerkit needs Python 3.11 or newer, and {old} is {version.replace(' ', '.')}" in (
        result.stderr
    )
    assert not (project / ".venv").exists()


@pytest.mark.guarantee("command-line")
def test_a_python_that_does_not_run_is_named(project: Path) -> None:
    result = make(project, "setup", python="python3.99-missing", check=False)
    assert result.returncode != 0
    assert "cannot run python3.99-missing; give another with: make PYTHON=" in result.stderr
    assert not (project / ".venv").exists()


def test_a_venv_make_did_not_make_is_rebuilt(project: Path) -> None:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", project / ".venv"], check=True)
    result = make(project, "setup")
    assert "rebuilding .venv: make did not make it" in result.stdout
    assert installs(result) == [RUN_INSTALL]


def test_a_complete_venv_of_the_earlier_makefile_is_kept(project: Path) -> None:
    venv = project / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    (venv / ".installed").touch()  # the earlier Makefile's one stamp
    (venv / "kept").touch()
    result = make(project, "setup")
    assert "rebuilding" not in result.stdout
    assert installs(result) == [RUN_INSTALL]
    assert (venv / "kept").exists()


def test_make_help_lists_every_target_with_one_line(project: Path) -> None:
    phony = re.search(r"^\.PHONY: (.*)$", MAKEFILE.read_text(), re.M)
    assert phony is not None
    targets = [name for name in phony.group(1).split() if name != "FORCE"]
    for goal in ((), ("help",)):
        listed = make(project, *goal).stdout.splitlines()
        for target in targets:
            lines = [line for line in listed if re.match(rf"\s+{target}\s+\S", line)]
            assert len(lines) == 1, f"`make help` does not list {target!r} on one line:\n{listed}"
    assert not (project / ".venv").exists(), "make help must not set anything up"


def test_make_test_builds_the_site_once_and_the_tests_use_it(project: Path) -> None:
    make(project, "setup-dev")
    planned = make(project, "-n", "test").stdout.splitlines()
    assert sum("mkdocs build" in line for line in planned) == 1, planned
    pytest_runs = [line for line in planned if " -m pytest" in line]
    assert len(pytest_runs) == 2, planned
    for line in pytest_runs:
        assert "LAYERKIT_SITE=" in line, f"the tests would build the site again: {line}"
    order = [i for i, line in enumerate(planned) if "mkdocs build" in line or " -m pytest" in line]
    assert "mkdocs build" in planned[order[0]], "the site must be built before the tests read it"


def fake_tool(path: Path, script: str) -> None:
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(0o755)


def test_make_test_runs_every_stage_and_names_the_failed_ones(project: Path) -> None:
    make(project, "setup-dev")
    bin_ = project / ".venv" / "bin"
    fake_tool(bin_ / "ruff", "echo ruff $@; exit 1")  # lint fails
    fake_tool(bin_ / "mkdocs", "mkdir -p site && echo '<urlset/>' > site/sitemap.xml")
    result = make(project, "test", check=False)  # unit: no pytest in the venv; browser: no script
    assert result.returncode != 0
    assert "make test: failed: lint unit browser" in result.stderr, result.stdout + result.stderr
    assert (project / "site" / ".built-strictly").exists(), "docs ran although lint failed"


def test_make_test_stops_when_setting_up_fails(project: Path) -> None:
    result = make(project, "test", pip="false", check=False)
    assert result.returncode != 0
    assert result.stdout.count("false -r requirements-run.txt") == 1, result.stdout
    assert "make test: failed" not in result.stderr


def test_a_failed_docs_build_leaves_no_strict_marker(project: Path) -> None:
    make(project, "setup-dev")
    (project / "site").mkdir()
    (project / "site" / ".built-strictly").touch()  # from an earlier, successful build
    fake_tool(project / ".venv" / "bin" / "mkdocs", "echo 'Aborted with 1 warnings'; exit 1")
    assert make(project, "docs", check=False).returncode != 0
    assert not (project / "site" / ".built-strictly").exists()


def test_pip_prints_only_its_errors() -> None:
    pip = re.search(r"^PIP\s*:= (.*)$", MAKEFILE.read_text(), re.M)
    assert pip is not None and " install --quiet --quiet" in pip.group(1)


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)
    assert "`make test`" in (REPO_ROOT / "README.md").read_text()
