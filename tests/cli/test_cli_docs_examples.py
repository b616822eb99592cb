"""The terminal sessions shown in docs/cli.md are what the commands really print.

Each ``text`` block of the page that starts with ``$ layerkit`` is replayed in order, in one
directory: every command runs through click's test runner and its output (standard output,
then standard error) must equal the lines shown under it; ``$ echo $?`` checks the exit
status, ``| head -N`` keeps N lines, and a line ``...`` ends a shown excerpt (the lines above
it must begin the output). ``layerkit train`` runs too, for the files it saves, but what it
prints, with its timings, is left to train's own tests.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

import layerkit as lk

PAGE = Path(__file__).parents[2] / "docs" / "cli.md"

pytestmark = pytest.mark.guarantee("command-line")


def sessions() -> list[list[str]]:
    """The ``text`` blocks of the page whose first line is a ``$ layerkit`` command."""
    blocks = re.findall(r"```text\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    return [block.splitlines() for block in blocks if block.startswith("$ layerkit")]


def steps(lines: list[str]) -> list[tuple[str, list[str]]]:
    """Each command of a session with the lines shown after it."""
    found: list[tuple[str, list[str]]] = []
    for line in lines:
        if line.startswith("$ "):
            found.append((line[2:], []))
        else:
            found[-1][1].append(line)
    return found


@pytest.mark.skipif(
    "softmax" not in lk.activations(), reason="the first-party plugins are not installed"
)
def test_every_session_shown_is_what_the_commands_print(layerkit):
    shown = sessions()
    assert len(shown) >= 5
    status = None
    for session in shown:
        for command, expected in steps(session):
            if command == "echo $?":
                assert [str(status)] == expected, session[0]
                continue
            words, _, head = command.partition(" | head -")
            run = layerkit(*shlex.split(words)[1:])
            status = run.code
            lines = (run.out + run.err).splitlines()
            if head:
                lines = lines[: int(head)]
            cut = [k for k, line in enumerate(expected) if line.strip() == "..."]
            if cut:
                expected = expected[: cut[0]]
                lines = lines[: len(expected)]
            if command.startswith("layerkit train"):
                continue  # its summary (with timings) is for train's own tests to check
            assert lines == expected, command
