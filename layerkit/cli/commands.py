"""The ``layerkit`` command group; each command lives in a module of its own.

Every failure the user can cause ends the command with one line on standard error and a
non-zero exit status: 2 for a usage error, 1 for everything else (see `error_handling`).
Every ``--help`` shows the defaults (``show_default`` is set for the whole group).
"""

from __future__ import annotations

import click

from .. import __version__
from .check_command import check
from .draw_command import draw
from .error_handling import _Group
from .exercise_command import exercise
from .explain_command import explain
from .export_command import export
from .plugins_command import plugins
from .predict_command import predict
from .train_command import train

__all__ = ["cli"]


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"], "show_default": True},
)
@click.version_option(__version__, prog_name="layerkit", message="%(prog)s %(version)s")
def cli() -> None:
    """layerkit: train small networks and watch backpropagation at work.

    Start with `layerkit train` (the derivation's 2-3-2 network on the half adder) and
    `layerkit explain` (every δ of one sample, next to its formula). Run alone, `layerkit`
    (like `python -m layerkit`) shows this help.

    Exit status: 0 success, 2 a usage error (a bad option or name), 1 anything else.
    """


for command in (train, explain, predict, draw, export, plugins, check, exercise):
    cli.add_command(command)
