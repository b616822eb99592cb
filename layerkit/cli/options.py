"""The click parameter types the commands share: layer sizes, numbers, seeds, components, files.

Each type turns what the user typed into a value the library accepts, or fails with a usage
error (exit status 2) that names the option and says what was expected. Nothing the user types
reaches NumPy unchecked: huge integers, NaN, infinity, empty values and networks too large
for memory are refused here.

Examples
--------
>>> SIZES.convert("2, 3,2", None, None)
[2, 3, 2]
>>> ACTIVATION.convert("leaky_relu:slope=0.1", None, None)
_Spec(name='leaky_relu', options={'slope': 0.1})
"""

from __future__ import annotations

import difflib
import itertools
import math
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

LINEAR = ("none", "linear")
"""``--output-activation`` values for a network without an output activation."""

MAX_PARAMETERS = 2**27
"""The most weights and biases a network from ``--layers`` may have: 1 GiB as float64."""
MAX_SIZES = 1000
"""The most layer sizes ``--layers`` may list."""
MAX_OPTION_INTEGER = 2**53
"""The largest integer an option value may be: every integer up to it is exact as a float."""

SEED = click.IntRange(0, 2**32 - 1)
"""A seed for NumPy's random generators: an integer from 0 to 2³² − 1."""


class _Sizes(click.ParamType):
    name = "SIZES"

    def convert(self, value: Any, param: Any, ctx: Any) -> list[int]:
        if isinstance(value, list):
            return value
        expected = "expected at least two comma-separated positive integers such as 2,3,2"
        parts = [part.strip() for part in str(value).split(",")]
        if len(parts) > MAX_SIZES:
            self.fail(f"{expected}, at most {MAX_SIZES} of them; got {len(parts)}", param, ctx)
        try:
            sizes = [int(part) for part in parts]
        except ValueError:
            sizes = []
        if len(sizes) < 2 or any(size <= 0 for size in sizes):
            self.fail(f"{expected}, got {_shown(value)}", param, ctx)
        parameters = sum((n + 1) * m for n, m in itertools.pairwise(sizes))
        if parameters > MAX_PARAMETERS:
            self.fail(
                f"a {'-'.join(map(str, sizes))} network would have {parameters:,} weights and "
                f"biases ({_gibibytes(parameters)} as float64); at most {MAX_PARAMETERS:,} "
                f"(1 GiB) are allowed",
                param,
                ctx,
            )
        return sizes


def _gibibytes(parameters: int) -> str:
    gib = parameters * 8 / 2**30
    return f"{gib:,.1f} GiB" if gib < 1e6 else f"{gib:.2e} GiB"


def _shown(value: Any, limit: int = 60) -> str:
    """``value`` as a quoted, shortened string for a one-line message."""
    text = repr(str(value))
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-3:]}"


class _Numbers(click.ParamType):
    name = "NUMBERS"

    def convert(self, value: Any, param: Any, ctx: Any) -> list[float]:
        if isinstance(value, list):
            return value
        try:
            numbers = [float(part) for part in str(value).split(",")]
        except ValueError:
            numbers = []
        if not numbers or not all(math.isfinite(n) for n in numbers):
            self.fail(
                f"expected comma-separated finite numbers such as 0.05,0.1, got {_shown(value)}",
                param,
                ctx,
            )
        return numbers


SIZES, NUMBERS = _Sizes(), _Numbers()


@dataclass(frozen=True)
class _Spec:
    """A component named on the command line, with options: ``leaky_relu:slope=0.1``."""

    name: str
    options: dict[str, Any]

    @property
    def linear(self) -> bool:
        return self.name.lower() in LINEAR

    def __str__(self) -> str:
        options = ",".join(f"{key}={value}" for key, value in self.options.items())
        return f"{self.name}:{options}" if options else self.name


class _Component(click.ParamType):
    """``NAME[:OPTION=VALUE,...]``; with a ``kind``, the name must be registered as that kind.

    A component of a kind is built once, so a misspelled name (with the registry's suggestion),
    an unknown option or an option value out of range is a usage error before any work starts.
    """

    name = "SPEC"

    def __init__(self, kind: str | None = None, linear: bool = False) -> None:
        self.kind = kind
        self.allows_linear = linear

    def convert(self, value: Any, param: Any, ctx: Any) -> _Spec:
        if isinstance(value, _Spec):
            return value
        spec = self._parse(str(value), param, ctx)
        if self.kind is not None and not (self.allows_linear and spec.linear):
            problem = _build_problem(self.kind, spec)
            if problem:
                self.fail(problem, param, ctx)
        return spec

    def _parse(self, value: str, param: Any, ctx: Any) -> _Spec:
        name, _, rest = value.partition(":")
        name = name.strip()
        if not name:
            self.fail(f"expected a name such as {self._example()}, got {_shown(value)}", param, ctx)
        options: dict[str, Any] = {}
        for item in (part.strip() for part in rest.split(",")):
            if not item:
                continue
            key, equals, text = (part.strip() for part in item.partition("="))
            if not equals or not key.isidentifier() or "=" in text:
                self.fail(
                    f"expected NAME or NAME:OPTION=VALUE,... such as {self._example()}, "
                    f"got {_shown(value)}",
                    param,
                    ctx,
                )
            if key in options:
                self.fail(f"the option {key!r} is given twice in {_shown(value)}", param, ctx)
            try:
                options[key] = _option_value(text)
            except ValueError as error:
                self.fail(f"{key}={_shown(text, 30)[1:-1]}: {error}", param, ctx)
        return _Spec(name, options)

    def _example(self) -> str:
        return {"loss": "huber:delta=0.5", "optimizer": "adam:lr=0.001"}.get(
            self.kind or "", "leaky_relu:slope=0.1"
        )


def _option_value(text: str) -> Any:
    """``"true"`` → True, ``"0.1"`` → 0.1, ``"3"`` → 3, anything else stays a string.

    Raises ``ValueError`` for an empty value, NaN, infinity, and integers too large to be
    exact as a float.

    >>> _option_value("true"), _option_value("3"), _option_value("1e-3"), _option_value("mean")
    (True, 3, 0.001, 'mean')
    """
    if not text:
        raise ValueError("expected a value after '='")
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        number: float = int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            return text
    else:
        if abs(number) > MAX_OPTION_INTEGER:
            raise ValueError(
                f"expected an integer of at most 2**53 in size, got {len(text)} digits"
            )
    if not math.isfinite(number):
        raise ValueError("expected a finite number")
    return number


def _build_problem(kind: str, spec: _Spec) -> str | None:
    """Why ``spec`` cannot be built as a registered ``kind``, or None when it can.

    An optimizer is built with a stand-in ``lr=1`` when the spec has none: its learning rate
    may come from ``--lr`` or the defaults, and SGD has no default of its own.
    """
    from .. import registry
    from ..errors import ConfigurationError, UnknownComponentError

    if kind == "activation" and spec.linear:
        return f"{spec.name!r} (a linear layer) is only for --output-activation"
    build = getattr(registry, kind)
    options = {"lr": 1.0, **spec.options} if kind == "optimizer" else spec.options
    try:
        build(spec.name, **options)
    except UnknownComponentError as error:
        return str(error)
    except (ConfigurationError, TypeError, ValueError, OverflowError) as error:
        message = str(error)
        return message if message.startswith("cannot build") else f"cannot build {spec}: {message}"
    return None


ACTIVATION = _Component("activation")
"""A registered activation for the hidden units, with options."""
OUTPUT_ACTIVATION = _Component("activation", linear=True)
"""A registered activation for the output units, or ``none`` for a linear output."""
LOSS = _Component("loss")
"""A registered loss, with options."""
COMPONENT = _Component()
"""Any ``NAME[:OPTION=VALUE,...]``, looked up later (see `components._check_component`)."""
OPTIMIZER = _Component("optimizer")
"""A registered optimizer, with options (``adam:lr=0.001``)."""


class _Names(click.ParamType):
    """Comma-separated names of registered components of one ``kind``, each given once."""

    name = "NAMES"

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def convert(self, value: Any, param: Any, ctx: Any) -> list[str]:
        if isinstance(value, list):
            return value
        names = [part.strip() for part in str(value).split(",")]
        if not all(names):
            self.fail(
                f"expected comma-separated {self.kind} names such as accuracy,mse, got "
                f"{_shown(value)}",
                param,
                ctx,
            )
        for name in names:
            if names.count(name) > 1:
                self.fail(f"{name!r} is given twice in {_shown(value)}", param, ctx)
            problem = _build_problem(self.kind, _Spec(name, {}))
            if problem:
                self.fail(problem, param, ctx)
        return names


METRICS = _Names("metric")
"""Registered metrics by name: ``accuracy,mse``."""


class _File(click.Path):
    """A file name: not empty, no NUL character (click.Path checks nothing by default)."""

    def __init__(self) -> None:
        super().__init__(path_type=Path, dir_okay=True)
        self.name = "FILE"

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, str) and (not value.strip() or "\0" in value):
            self.fail(f"expected a file name, got {_shown(value)}", param, ctx)
        return super().convert(value, param, ctx)


FILE = _File()


def _check_writable(path: Path | None, option: str) -> None:
    """Fail before any work when ``path`` cannot be written (no directory, or a directory)."""
    if path is None:
        return
    directory = path.parent
    if not directory.is_dir():
        problem = "is not a directory" if directory.exists() else "does not exist"
        raise FileNotFoundError(f"{option}: the directory {str(directory)!r} {problem}")
    if path.is_dir():
        raise IsADirectoryError(f"{option}: {str(path)!r} is a directory")


def _given(ctx: click.Context, *names: str) -> list[str]:
    """The flags of the options among ``names`` that the user gave (not left at defaults)."""
    from click.core import ParameterSource

    flags = []
    for param in ctx.command.params:
        source = ctx.get_parameter_source(param.name or "")
        if param.name in names and source in (
            ParameterSource.COMMANDLINE,
            ParameterSource.ENVIRONMENT,
        ):
            flags.append(max(param.opts, key=len))
    return flags


def _refuse(ctx: click.Context, names: tuple[str, ...], reason: str) -> None:
    """A usage error when any option of ``names`` was given: it does not apply, for ``reason``."""
    flags = _given(ctx, *names)
    if flags:
        verb = "does" if len(flags) == 1 else "do"
        raise click.UsageError(f"{', '.join(flags)} {verb} not apply {reason}", ctx)


class _Data(click.ParamType):
    """A built-in data set name, or a file name (whose existence is checked when it is read).

    A word that is neither a built-in name nor an existing file is a usage error with the
    closest built-in name as suggestion; a path (with a suffix or a directory) is left for the
    reader, whose missing file is an exit 1 like any other.
    """

    name = "NAME|FILE"

    def convert(self, value: Any, param: Any, ctx: Any) -> str:
        from .data import BUILTIN

        text = str(value)
        if text in BUILTIN:
            return text
        if not text.strip() or "\0" in text:
            self.fail(f"expected a data set name or a file, got {_shown(text)}", param, ctx)
        path = Path(text)
        try:
            if path.is_char_device() or path.is_block_device():  # /dev/zero never ends
                self.fail(f"{_shown(text)} is a device, not a data file", param, ctx)
            if path.exists() or path.suffix or len(path.parts) > 1:
                return text
        except OSError:  # a name too long, say: reading it will say so
            return text
        close = difflib.get_close_matches(text.lower(), BUILTIN, n=1)
        suggestion = f" Did you mean {close[0]!r}?" if close else ""
        self.fail(
            f"no data set named {_shown(text)} and no such file.{suggestion} Built-in data "
            f"sets: {', '.join(BUILTIN)}; or give a CSV or NPZ file",
            param,
            ctx,
        )


DATA = _Data()


def options_not_positional(first: str, second: str) -> type[click.Command]:
    """A command class that answers ``layerkit COMMAND A B`` with the form it takes.

    Nothing is positional in layerkit's commands; typed as two bare arguments, ``A`` and ``B``
    are shown back as ``--first A --second B`` in the usage error.
    """

    class OptionsNotPositional(click.Command):
        def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
            positional = [arg for arg in args if not arg.startswith("-")]
            if len(positional) == 2 and args[:2] == positional:
                a, b = (shlex.quote(arg) for arg in positional)
                raise click.UsageError(
                    f"the {first} and the {second} are options: layerkit {ctx.info_name} "
                    f"--{first} {a} --{second} {b}",
                    ctx,
                )
            return super().parse_args(ctx, args)

    return OptionsNotPositional
