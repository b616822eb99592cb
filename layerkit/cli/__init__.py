"""The ``layerkit`` command: train, explain the δ recursion, list plugins, save and load models.

Run ``layerkit --help`` (or ``python -m layerkit.cli --help``) for the commands:

- ``layerkit train`` trains a network (by default the derivation's 2-3-2 sigmoid network on
  the half adder) and can save it and plot its loss;
- ``layerkit explain`` prints every number of one forward and backward pass, each next to
  its formula;
- ``layerkit predict``, ``layerkit draw``, ``layerkit plugins`` and ``layerkit check``.

The command line needs the optional packages click and tqdm (``pip install "layerkit[cli]"``);
this module only imports them when `main` runs, and says how to install them if they are
missing.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]

INSTALL_HINT = 'pip install "layerkit[cli]"'


def main(argv: Sequence[str] | None = None) -> None:
    """Run the ``layerkit`` command with ``argv`` (default: the process's arguments); exits."""
    try:
        import click  # noqa: F401
        import tqdm  # noqa: F401
    except ImportError as error:
        sys.stderr.write(
            f"layerkit: the command line needs the packages click and tqdm ({error}); "
            f"install them with: {INSTALL_HINT}\n"
        )
        raise SystemExit(1) from None
    from .commands import cli

    cli.main(args=list(argv) if argv is not None else None, prog_name="layerkit")
