"""How a ``layerkit`` command fails: one line on standard error and an exit status.

Every failure the user can cause (a bad option, a missing or malformed file, an unknown
activation, training that diverges) ends the command with one line on standard error and a
non-zero exit status: 2 for a usage error, 1 for everything else. Tracebacks are for bugs.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from ..errors import LayerkitError


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def _fail(message: str, code: int) -> NoReturn:
    click.echo(_one_line(message), err=True)
    sys.exit(code)


def _describe(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror and error.filename:
        return f"{error.strerror}: {error.filename}"
    message = str(error) or type(error).__name__
    notes = getattr(error, "__notes__", None)
    return f"{message} ({'; '.join(notes)})" if notes else message


# Raised (click >= 8.2) for a group run without a command: its message is the whole help.
_NO_ARGS_IS_HELP: Any = getattr(click.exceptions, "NoArgsIsHelpError", ())


class _Group(click.Group):
    """A group whose errors are one line: ``layerkit train: error: ...``, exit 2 or 1."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except _NO_ARGS_IS_HELP as error:  # `layerkit` alone: the help, as click shows it
            error.show()
            sys.exit(error.exit_code)
        except click.UsageError as error:
            where = error.ctx.command_path if error.ctx else "layerkit"
            _fail(
                f"{where}: error: {error.format_message()} (see '{where} --help')",
                error.exit_code,
            )
        except click.ClickException as error:
            _fail(f"layerkit: error: {error.format_message()}", error.exit_code)
        except click.Abort:
            _fail("layerkit: interrupted", 130)
        except (LayerkitError, OSError) as error:
            _fail(f"layerkit: error: {_describe(error)}", 1)
        sys.exit(code if isinstance(code, int) else 0)
