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
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..explain import Explanation, Phase

__all__ = ["explanation_json", "explanation_markdown", "explanation_text", "number", "table"]

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
def explanation_text(explanation: Explanation, title: str, precision: int = 6) -> str:
    """A readable table: per phase, each formula with its value (matrices over several lines)."""
    width = max(len(step.formula) for step in explanation)
    out = [title, ""]
    for phase, heading in _PHASE_TITLES.items():
        steps = explanation.phase(phase)
        if not steps:
            continue
        out.append(heading)
        for step in steps:
            lines = matrix_lines(step.value, precision)
            out.append(f"  {step.formula.ljust(width)}   {lines[0]}")
            out.extend(f"  {' ' * width}   {line}" for line in lines[1:])
        out.append("")
    out.append(f"L = {number(explanation.loss, precision)}")
    return "\n".join(out)


def explanation_markdown(explanation: Explanation, title: str, precision: int = 6) -> str:
    """A Markdown table per phase: formula, value, and the library call that computed it."""
    out = [f"**{title}**", ""]
    for phase, heading in _PHASE_TITLES.items():
        steps = explanation.phase(phase)
        if not steps:
            continue
        out += [f"### {heading}", "", "| formula | value | computed by |", "| --- | --- | --- |"]
        for step in steps:
            value = "<br>".join(matrix_lines(step.value, precision))
            out.append(f"| {_cell(step.formula)} | {_cell(value)} | `{_cell(step.source)}` |")
        out.append("")
    out.append(f"Loss: L = {number(explanation.loss, precision)}")
    return "\n".join(out)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def explanation_json(explanation: Explanation, **extra: Any) -> str:
    """The explanation as JSON, full precision, with ``extra`` top-level entries."""
    return json.dumps({**extra, **explanation.to_dict()}, ensure_ascii=False, indent=2)
