"""The ``layerkit`` command: train, explain the δ recursion, list plugins, save and load models.

Run ``layerkit --help`` (or ``python -m layerkit.cli --help``) for the commands:

- ``layerkit train`` trains a network (by default the derivation's 2-3-2 sigmoid network on
  the half adder) and can save it and plot its loss;
- ``layerkit explain`` prints every number of one forward and backward pass, each next to
  its formula;
- ``layerkit predict``, ``layerkit draw``, ``layerkit plugins`` and ``layerkit check``.

The command line needs the optional packages click and tqdm (the ``cli`` extra,
``pip install -e ".[cli]"`` from a clone);
this module only imports them when `main` runs, and says how to install them if they are
missing.

A plugin that is set aside (see `layerkit.registry`) is reported once, as one line on
standard error: ``layerkit: warning: <why>; run 'layerkit plugins' for details``.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from ..install_hints import pip_install

__all__ = ["main"]

INSTALL_HINT = pip_install("click", "tqdm")


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
    from ..registry import PluginWarning

    with warnings.catch_warnings():
        warnings.simplefilter("always", PluginWarning)  # the registry warns once per reason
        warnings.showwarning = _plugin_warnings_on_one_line(warnings.showwarning, PluginWarning)
        from .commands import cli  # inside: a command module may look components up

        cli.main(args=list(argv) if argv is not None else None, prog_name="layerkit")


def _plugin_warnings_on_one_line(show: Callable[..., None], category: type) -> Callable[..., None]:
    """Return a ``warnings.showwarning`` printing ``category`` as one line per plugin."""
    shown: set[str] = set()

    def show_warning(
        message: Warning | str,
        warning_category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> Any:
        if not issubclass(warning_category, category):
            return show(message, warning_category, filename, lineno, file, line)
        plugin = getattr(message, "plugin", None) or str(message)
        if plugin not in shown:
            shown.add(plugin)
            text = " ".join(str(message).split())
            sys.stderr.write(f"layerkit: warning: {text}; run 'layerkit plugins' for details\n")

    return show_warning
