"""How a ``layerkit`` command fails: one line on standard error and an exit status.

One rule for every command:

- 0: success (also ``layerkit`` alone, which shows the help);
- 2: a usage error, something wrong with the command line itself: a bad option or value, an
  unknown activation, loss or data set name (with the registry's suggestion), an option that
  does not apply. One line: ``layerkit CMD: error: ... (see 'layerkit CMD --help')``;
- 1: everything else: a missing or corrupt file, training that diverged, an I/O error, not
  enough memory. One line: ``layerkit: error: ...``.

Tracebacks are for bugs.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from ..errors import LayerkitError, UnknownComponentError

SHORT_HELP_LIMIT = 200
"""Characters of a command's first sentence that ``layerkit --help`` shows (click: 45)."""
SHOWN_NAME_LIMIT = 120
"""A longer file name is shortened in an error message, keeping its start and end."""


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def _fail(message: str, code: int) -> NoReturn:
    click.echo(_one_line(message), err=True)
    sys.exit(code)


def _describe(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror and error.filename:
        name = str(error.filename)
        if len(name) > SHOWN_NAME_LIMIT:
            name = f"{name[: SHOWN_NAME_LIMIT - 20]}...{name[-17:]}"
        return f"{error.strerror}: {name}"
    message = str(error) or type(error).__name__
    notes = getattr(error, "__notes__", None)
    return f"{message} ({'; '.join(notes)})" if notes else message


class _CommandUsageError(click.UsageError):
    """A usage error found after click handed over to a command, with that command's path."""

    def __init__(self, message: str, command_path: str) -> None:
        super().__init__(message)
        self.command_path = command_path


# Raised (click >= 8.2) for a group run without a command: its message is the whole help.
_NO_ARGS_IS_HELP: Any = getattr(click.exceptions, "NoArgsIsHelpError", ())


class _Group(click.Group):
    """A group whose errors are one line: ``layerkit train: error: ...``, exit 2 or 1.

    Its help lists each command's whole first sentence, and run alone it shows that help and
    exits 0.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UnknownComponentError as error:  # a name the user typed: a usage error
            command = f"{ctx.command_path} {ctx.invoked_subcommand or ''}".strip()
            raise _CommandUsageError(str(error), command) from error

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=SHORT_HELP_LIMIT)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

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
        except _NO_ARGS_IS_HELP as error:  # `layerkit` alone: the help, and no error
            click.echo(error.ctx.get_help() if error.ctx else error.format_message())
            sys.exit(0)
        except click.UsageError as error:
            where = getattr(error, "command_path", None) or (
                error.ctx.command_path if error.ctx else "layerkit"
            )
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
        except MemoryError:
            _fail("layerkit: error: not enough memory for this command", 1)
        except UnicodeEncodeError as error:  # δ, → and ⁽¹⁾ on a latin-1 or ASCII terminal
            shown = ascii(error.object[error.start : error.end])
            _fail(
                f"layerkit: error: the output's encoding ({error.encoding}) cannot show "
                f"{shown}; set PYTHONIOENCODING=utf-8",
                1,
            )
        sys.exit(code if isinstance(code, int) else 0)
