"""Fuzz the Makefile's set-up: random sequences of make calls and of things that go wrong.

A hypothesis state machine runs ``make setup`` (what ``make run`` needs) and ``make setup-dev``
(what ``make test`` needs) on a throwaway copy of the project, with pip replaced by ``echo`` or
by ``false`` (a failed install), between a user's and a machine's accidents: the venv's python
swapped for another interpreter or deleted, a dependency file changed, the venv deleted, a venv
made by hand. A small model says which pip calls each make must make; the Makefile must make
exactly those, never install the test tools for ``make run``, and never reuse a broken venv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from make_support import RUN_INSTALL, TEST_INSTALL, installs, make, make_project

# No guarantee marker: docs/guarantees.md makes no promise about setting up.
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")

ACCIDENTS = [
    "nothing",
    "another_python",
    "python_deleted",
    "venv_deleted",
    "venv_made_by_hand",
    "run_requirements_changed",
    "dev_requirements_changed",
]
OTHER_PYTHONS = ["pypy 3.11.9 /opt/pypy", "cpython 3.12.1 (main) /usr", "cpython 3.11.7 /elsewhere"]


class MakeSetup(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.TemporaryDirectory(prefix="layerkit-make-")
        self.project = make_project(Path(self.folder.name) / "project")
        self.venv = self.project / ".venv"
        self.usable = False  # a venv make made with this Python, no install left half-done
        self.run_level = False  # the stamps make trusts, as the model expects them
        self.test_level = False

    def teardown(self) -> None:
        self.folder.cleanup()

    def expect_rebuild(self, existed: bool, output: str) -> None:
        if self.usable:
            assert "rebuilding" not in output, output
            return
        if existed:
            assert "rebuilding .venv" in output, output
        self.usable, self.run_level, self.test_level = True, False, False

    def run_make(self, target: str, fails: bool) -> list[str]:
        """Run make; check the venv was rebuilt if and only if it had to be; return the pip
        calls the model expects (a failing pip fails the first of them)."""
        pip = "false" if fails else "echo pip install"
        existed = self.venv.exists()
        result = make(self.project, target, pip=pip, check=False)
        self.expect_rebuild(existed, result.stdout)
        expected = [] if self.run_level else [RUN_INSTALL]
        if target == "setup-dev" and (expected or not self.test_level):
            expected.append(TEST_INSTALL)
        if fails and expected:
            assert result.returncode != 0, result.stdout
            self.usable = False  # .incomplete is left: the next make rebuilds
            return []
        assert result.returncode == 0, result.stdout + result.stderr
        assert installs(result) == expected, result.stdout
        return expected

    # Each step: maybe an accident, then one make call, so every step is checked.
    @rule(
        accident=st.sampled_from(ACCIDENTS),
        goal=st.sampled_from(["setup", "setup-dev"]),
        fails=st.booleans(),
        other=st.sampled_from(OTHER_PYTHONS),
    )
    def accident_then_make(self, accident: str, goal: str, fails: bool, other: str) -> None:
        getattr(self, accident)(other)
        expected = self.run_make(goal, fails)
        if goal == "setup" and expected:
            self.run_level, self.test_level = True, False  # a newer run level: test is stale
        elif goal == "setup-dev" and self.usable:
            self.run_level = self.test_level = True

    def nothing(self, other: str) -> None:
        pass

    def another_python(self, other: str) -> None:
        if self.venv.exists():
            python = self.venv / "bin" / "python"
            python.unlink(missing_ok=True)
            python.write_text(f"#!/bin/sh\necho '{other}'\n")
            python.chmod(0o755)
            self.usable = False

    def python_deleted(self, other: str) -> None:
        if self.venv.exists():
            (self.venv / "bin" / "python").unlink(missing_ok=True)
            self.usable = False

    def venv_deleted(self, other: str) -> None:
        shutil.rmtree(self.venv, ignore_errors=True)
        self.usable = False

    def venv_made_by_hand(self, other: str) -> None:
        shutil.rmtree(self.venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", self.venv], check=True)
        self.usable = False

    def run_requirements_changed(self, other: str) -> None:
        # Age the stamp instead of touching the file, so no mtime lies in the future.
        if self.usable and (self.venv / ".installed-run").exists():
            os.utime(self.venv / ".installed-run", (1, 1))
            self.run_level = self.test_level = False

    def dev_requirements_changed(self, other: str) -> None:
        if self.usable and (self.venv / ".installed-test").exists():
            os.utime(self.venv / ".installed-test", (1, 1))
            self.test_level = False

    @invariant()
    def never_half_done_after_success(self) -> None:
        if self.usable:
            assert not (self.venv / ".incomplete").exists()
            assert (self.venv / ".made-by-make").exists()


TestMakeSetup = MakeSetup.TestCase
TestMakeSetup.settings = settings(max_examples=5, stateful_step_count=6, deadline=None)
