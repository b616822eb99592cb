"""The click parameter types the commands share: layer sizes, numbers, named components.

Also the check, before any work starts, that an output-file option can be written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

LINEAR = ("none", "linear")
"""``--output`` values for a network without an output activation."""


class _Sizes(click.ParamType):
    name = "SIZES"

    def convert(self, value: Any, param: Any, ctx: Any) -> list[int]:
        if isinstance(value, list):
            return value
        parts = [part.strip() for part in str(value).split(",")]
        try:
            sizes = [int(part) for part in parts]
        except ValueError:
            sizes = []
        if len(sizes) < 2 or any(size <= 0 for size in sizes):
            self.fail(
                f"expected at least two comma-separated positive integers such as 2,3,2, "
                f"got {value!r}",
                param,
                ctx,
            )
        return sizes


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
                f"expected comma-separated numbers such as 0.05,0.1, got {value!r}", param, ctx
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
    name = "NAME[:OPTION=VALUE,...]"

    def convert(self, value: Any, param: Any, ctx: Any) -> _Spec:
        if isinstance(value, _Spec):
            return value
        name, _, rest = str(value).partition(":")
        options: dict[str, Any] = {}
        for item in filter(None, (part.strip() for part in rest.split(","))):
            key, equals, text = item.partition("=")
            if not equals or not key.strip().isidentifier():
                self.fail(
                    f"expected NAME or NAME:OPTION=VALUE,... such as leaky_relu:slope=0.1, "
                    f"got {value!r}",
                    param,
                    ctx,
                )
            options[key.strip()] = _option_value(text.strip())
        return _Spec(name.strip(), options)


def _option_value(text: str) -> Any:
    """``"true"`` → True, ``"0.1"`` → 0.1, ``"3"`` → 3, anything else stays a string."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


COMPONENT = _Component()


def _check_writable(path: Path | None, option: str) -> None:
    if path is None:
        return
    directory = path.parent
    if not directory.is_dir():
        raise FileNotFoundError(f"{option}: the directory {str(directory)!r} does not exist")
    if path.is_dir():
        raise IsADirectoryError(f"{option}: {str(path)!r} is a directory")
