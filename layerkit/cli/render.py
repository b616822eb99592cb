"""Text, Markdown and JSON renderings for the command line (no click needed here).

Examples
--------
>>> number(0.593269992), number(-0.00117470), number(0.5)
('0.59327', '-0.0011747', '0.5')
>>> print(table([["name", "version"], ["layerkit", "0.1.0"]]))
name      version
layerkit  0.1.0
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..explain import Explanation, Phase

__all__ = [
    "explanation_json",
    "explanation_markdown",
    "explanation_text",
    "number",
    "summary_lines",
    "table",
]

_PHASE_TITLES: dict[Phase, str] = {
    "given": "Given",
    "forward": "Forward pass",
    "backward": "Backward pass",
}


def number(value: float, precision: int = 6) -> str:
    """A value to ``precision`` significant digits, without an exponent unless it is tiny."""
    value = float(value) + 0.0  # no "-0"
    if value != 0 and abs(value) < 1e-4:
        return np.format_float_scientific(value, precision=precision - 1, unique=True, trim="-")
    return np.format_float_positional(
        value, precision=precision, unique=False, fractional=False, trim="-"
    )


def vector(values: np.ndarray, precision: int = 6) -> str:
    """``[0.1, 0.2]``: a vector with each entry to ``precision`` significant digits."""
    return "[" + ", ".join(number(v, precision) for v in np.ravel(values)) + "]"


def matrix_lines(values: np.ndarray, precision: int = 6) -> list[str]:
    """The rows of an array as aligned text lines (one line for a vector or a number)."""
    if values.ndim == 0:
        return [number(values, precision)]
    if values.ndim == 1:
        return [vector(values, precision)]
    cells = [[number(v, precision) for v in row] for row in values]
    width = max(len(cell) for row in cells for cell in row)
    lines = ["[" + ", ".join(cell.rjust(width) for cell in row) + "]" for row in cells]
    return [
        ("[" if i == 0 else " ") + line + ("]" if i == len(lines) - 1 else ",")
        for i, line in enumerate(lines)
    ]


def table(rows: Sequence[Sequence[str]], gap: int = 2) -> str:
    """Left-aligned columns, the first row as the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        lines.append((" " * gap).join(cells).rstrip())
    return "\n".join(lines)


# ---------------------------------------------------------------------------- explain
LINE_WIDTH = 100
"""The widest line `explanation_text` prints unless asked for every number."""
FORMULA_COLUMN = 40
"""A longer formula gets its value on the lines below it rather than beside it."""
MAX_ROWS = 8
"""A value of more rows than this is summarised unless asked for every number."""


def summary_lines(values: np.ndarray, width: int, precision: int = 6) -> list[str]:
    """A large array in a few lines: its shape, norm, min and max; then its first entries.

    Each line is at most ``width`` characters (``width`` ≥ 40; at least two entries shown).

    >>> summary_lines(np.arange(40.0).reshape(4, 10), 60)
    ['4×10, norm 143.3, min 0, max 39', 'first row [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]']
    >>> summary_lines(np.linspace(0, 1, 50), 40, precision=3)
    ['50 entries, norm 4.1, min 0, max 1', '[0, 0.0204, 0.0408, 0.0612, 0.0816, …]']
    """
    shape = f"{values.size} entries" if values.ndim <= 1 else "×".join(map(str, values.shape))
    with np.errstate(all="ignore"):
        norm = float(np.linalg.norm(values.ravel()))
    numbers = (norm, np.min(values), np.max(values)) if values.size else (0.0, 0.0, 0.0)
    parts = [shape] + [
        f"{label} {number(v, min(precision, 4))}"
        for label, v in zip(("norm", "min", "max"), numbers, strict=True)
    ]
    lines = [parts[0]]
    for part in parts[1:]:
        if len(lines[-1]) + 2 + len(part) <= width:
            lines[-1] += f", {part}"
        else:
            lines.append(part)
    head = values.reshape(-1, values.shape[-1])[0] if values.ndim > 1 else values.ravel()
    prefix = "first row " if values.ndim > 1 else ""
    cells = [number(v, precision) for v in head]
    count = len(cells)
    while count > 2 and len(_entries(prefix, cells, count)) > width:
        count -= 1
    return [*lines, _entries(prefix, cells, count)]


def _entries(prefix: str, cells: list[str], count: int) -> str:
    more = ", …" if count < len(cells) else ""
    return f"{prefix}[{', '.join(cells[:count])}{more}]"


def _value_lines(values: np.ndarray, precision: int, width: int | None) -> list[str]:
    """The rows of ``values``, or their summary when they do not fit in ``width``."""
    lines = matrix_lines(values, precision)
    if width is None or (len(lines) <= MAX_ROWS and max(map(len, lines)) <= width):
        return lines
    return summary_lines(values, width, precision)


def explanation_text(
    explanation: Explanation, title: str, precision: int = 6, full: bool = False
) -> str:
    """A readable table: per phase, each formula with its value.

    Values too large for a line of `LINE_WIDTH` characters (or of more than `MAX_ROWS` rows)
    are summarised by `summary_lines` unless ``full`` is true, which prints every number.
    """
    column = min(max(len(step.formula) for step in explanation), FORMULA_COLUMN)
    indent = " " * (2 + column + 3)
    room = None if full else max(LINE_WIDTH - len(indent), 40)
    out = [title if full else textwrap.fill(title, LINE_WIDTH), ""]
    for phase, heading in _PHASE_TITLES.items():
        steps = explanation.phase(phase)
        if not steps:
            continue
        out.append(heading)
        for step in steps:
            lines = _value_lines(step.value, precision, room)
            if len(step.formula) <= column:
                out.append(f"  {step.formula.ljust(column)}   {lines[0]}")
                lines = lines[1:]
            else:
                out.append(f"  {step.formula}")
            out.extend(f"{indent}{line}" for line in lines)
        out.append("")
    out.append(f"L = {number(explanation.loss, precision)}")
    return "\n".join(out)


def explanation_markdown(
    explanation: Explanation, title: str, precision: int = 6, full: bool = False
) -> str:
    """A Markdown table per phase: formula, value, and the library call that computed it.

    Large values are summarised as in `explanation_text` unless ``full`` is true.
    """
    out = [f"**{title}**", ""]
    for phase, heading in _PHASE_TITLES.items():
        steps = explanation.phase(phase)
        if not steps:
            continue
        out += [f"### {heading}", "", "| formula | value | computed by |", "| --- | --- | --- |"]
        for step in steps:
            lines = _value_lines(step.value, precision, None if full else LINE_WIDTH)
            value = "<br>".join(lines)
            out.append(f"| {_cell(step.formula)} | {_cell(value)} | `{_cell(step.source)}` |")
        out.append("")
    out.append(f"Loss: L = {number(explanation.loss, precision)}")
    return "\n".join(out)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def explanation_json(explanation: Explanation, **extra: Any) -> str:
    """The explanation as JSON, full precision, with ``extra`` top-level entries."""
    return json.dumps({**extra, **explanation.to_dict()}, ensure_ascii=False, indent=2)
