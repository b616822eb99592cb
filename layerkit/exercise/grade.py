"""What grading one function or class found, and how the checker prints it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

__all__ = ["Grade", "shown"]

Status = Literal["pass", "fail", "todo"]


@dataclass(frozen=True)
class Grade:
    """The verdict on one function (or class) of an exercise file."""

    name: str
    """The function's or class's name."""
    status: Status
    """``"pass"``, ``"fail"``, or ``"todo"`` (it still raises ``NotImplementedError``)."""
    mistake: str = ""
    """For a failure: the likely mistake, in words."""
    details: list[str] = field(default_factory=list)
    """For a failure: the smallest failing case, the expected and the returned values."""

    @property
    def passed(self) -> bool:
        """Whether the function passed every case."""
        return self.status == "pass"

    def lines(self) -> list[str]:
        """The checker's report: one line, and for a failure the case indented below it."""
        if self.status == "pass":
            return [f"✓ {self.name}"]
        if self.status == "todo":
            return [f"· {self.name}: not done yet"]
        return [f"✗ {self.name}: {self.mistake}", *(f"    {line}" for line in self.details)]


def shown(value: object) -> str:
    """An argument or result on one line, four significant digits, with its shape and dtype."""
    if isinstance(value, np.ndarray):
        numbers = np.array2string(
            value, precision=4, separator=", ", max_line_width=10_000, suppress_small=False
        )
        numbers = " ".join(numbers.split())
        return f"{numbers}  (shape {value.shape}, {value.dtype})"
    return repr(value)
