"""The sessions of docs/exercises.md are what the commands really print.

The page is replayed in order, in one directory: a ``python`` block titled ``DIR/exercise.py``
replaces the functions and classes it defines in that file, as a learner edits it; a ``text``
block starting ``$ layerkit`` runs each command through click's test runner, and its output
(standard output, then standard error) must equal the lines shown; ``$ echo $?`` checks the
exit status.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from layerkit.cli.commands import cli

from .solutions import replace

PAGE = Path(__file__).parents[2] / "docs" / "exercises.md"
FENCE = re.compile(r'```(text|\{\.python title="([^"]+)"\})\n(.*?)```', re.S)
DEFINITION = re.compile(r"^(?:def|class) (\w+).*?(?=^(?:def|class) |\Z)", re.S | re.M)


def test_every_session_shown_is_what_the_commands_print(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    replayed = edits = 0
    status = None
    for kind, title, body in FENCE.findall(PAGE.read_text(encoding="utf-8")):
        if kind != "text":
            path = Path(title)
            source = path.read_text(encoding="utf-8")
            for match in DEFINITION.finditer(body):
                source = replace(source, match.group(1), match.group(0))
            path.write_text(source, encoding="utf-8")
            edits += 1
            continue
        if not body.startswith("$ layerkit"):
            continue
        steps: list[tuple[str, list[str]]] = []
        for line in body.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                steps[-1][1].append(line)
        for command, expected in steps:
            if command == "echo $?":
                assert [str(status)] == expected, command
                continue
            result = runner.invoke(cli, shlex.split(command)[1:], prog_name="layerkit")
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                raise result.exception
            status = result.exit_code
            assert (result.stdout + result.stderr).splitlines() == expected, command
            replayed += 1
    assert replayed >= 6 and edits >= 3
