"""A picture of a network as SVG text: inputs, hidden units, outputs and labelled weights.

The drawing is the derivation's figure: one column of units per layer, every weight a line
from the unit that sends to the unit that receives, labelled wᵢⱼ (uⱼₖ for the output layer of
a network with one hidden layer), and on request every unit's bias b⁽ℓ⁾ⱼ and the targets tₖ
the outputs are compared with. The SVG is written by hand, so it needs nothing beyond the
standard library, and a browser or the docs can show it as it is.

Its elements carry classes (``lk-text``, ``lk-halo``, ``lk-background``, ``lk-positive``,
``lk-negative``) so that a page's stylesheet can recolour it for a dark theme; without one
the SVG draws in its own colours on a white background.

Examples
--------
>>> from layerkit.draw import draw
>>> svg = draw([2, 3, 2])
>>> svg.startswith("<svg"), "w₁₂" in svg, "u₃₂" in svg
(True, True, True)
>>> svg = draw([2, 3, 2], biases=True, targets=True)
>>> "b⁽¹⁾₃" in svg, "b⁽²⁾₂" in svg, "t₂" in svg
(True, True, True)
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

import numpy as np

from .errors import ConfigurationError
from .layer import Layer
from .validation import Array, positive_int

__all__ = ["LABEL_LIMIT", "draw"]

LABEL_LIMIT = 16
"""Weights are labelled when no layer has more connections than this (a 4-4 layer has 16)."""

_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")

# Geometry, in SVG user units (pixels).
_COLUMN_GAP = 170
_ROW_GAP = 58
_RADIUS = 19
_MARGIN = 50
_HEADER = 56

_FILL = {"input": "#e2e8f0", "hidden": "#bee3f8", "output": "#c6f6d5"}
_POSITIVE, _NEGATIVE, _NEUTRAL = "#2b6cb0", "#c53030", "#718096"


@dataclass(frozen=True)
class _Column:
    size: int
    kind: str  # "input", "hidden" or "output"
    symbol: str  # "x", "h", "h⁽²⁾", "y"
    header: tuple[str, str]  # title and formula, on two lines
    shown: list[int | None]  # unit indices drawn (from 0); None marks the gap


def draw(
    network: Layer | Sequence[int],
    *,
    activation: str = "sigmoid",
    output: str | None = "sigmoid",
    labels: bool | None = None,
    max_units: int = 12,
    biases: bool = False,
    targets: bool = False,
) -> str:
    """Return an SVG picture of ``network``.

    Parameters
    ----------
    network
        A model (Dense layers, each followed by at most one activation, as `explain` expects;
        its weights colour the lines: blue positive, red negative, thicker for larger
        magnitude), or layer sizes such as ``[2, 3, 2]``.
    activation
        For sizes only: the registered name of the hidden activation, shown in the column
        headers.
    output
        For sizes only: the registered name of the output activation (``None`` for a linear
        output), shown in the column headers.
    labels
        Whether to label every weight; by default, when no layer has more than
        `LABEL_LIMIT` connections.
    max_units
        A layer with more units shows the first and last few with ⋮ between them.
    biases
        Whether to label every hidden and output unit with its bias, b⁽ℓ⁾ⱼ, above it.
    targets
        Whether to show the targets tₖ that the outputs are compared with, right of them.

    Returns
    -------
    str
        A standalone SVG document.

    Raises
    ------
    ConfigurationError
        For fewer than two sizes, a size that is not a positive integer, or a model of
        another structure.
    """
    max_units = positive_int(max_units, "draw", "max_units")
    if isinstance(network, Layer):
        sizes, names, weights = _from_model(network)
    else:
        if isinstance(network, (str, bytes)) or len(network) < 2:
            raise ConfigurationError(
                f"draw expects at least two layer sizes (inputs and outputs), got {network!r}"
            )
        sizes = [positive_int(size, "draw", "size") for size in network]
        names = [activation] * (len(sizes) - 2) + [output]
        weights = None
    depth = len(sizes) - 1
    columns = [
        _column(position, size, depth, names, max_units) for position, size in enumerate(sizes)
    ]
    if labels is None:
        labels = max(a * b for a, b in itertools.pairwise(sizes)) <= LABEL_LIMIT
    return _render(columns, weights, labels, depth, biases=biases, targets=targets)


def _from_model(model: Layer) -> tuple[list[int], list[str | None], list[Array]]:
    from .explain import _name, _stages

    stages = _stages(model, "draw")
    sizes = [stages[0].dense.in_features] + [stage.dense.out_features for stage in stages]
    names = [None if s.activation is None else _name(s.activation) for s in stages]
    return sizes, names, [stage.dense.W for stage in stages]


def _column(position: int, size: int, depth: int, names: list[str | None], limit: int) -> _Column:
    if size <= limit:
        shown: list[int | None] = list(range(size))
    else:
        half = (limit - 1) // 2
        shown = [*range(half), None, *range(size - half, size)]
    if position == 0:
        kind, symbol, formula = "input", "x", "x"
    else:
        name = names[position - 1]
        pre = f"a{_sup(position)}"
        function = pre if name is None else f"{'σ' if name == 'sigmoid' else name}({pre})"
        kind = "output" if position == depth else "hidden"
        symbol = "y" if kind == "output" else "h" if depth == 2 else f"h{_sup(position)}"
        formula = f"{symbol} = {function}"
    title = {"input": "inputs", "hidden": "hidden", "output": "outputs"}[kind]
    if size > limit:
        title += f" ({size} units)"
    return _Column(size, kind, symbol, (title, formula), shown)


def _sup(number: int) -> str:
    return f"⁽{str(number).translate(_SUPERSCRIPT)}⁾"


def _sub(*indices: int) -> str:
    """``_sub(1, 2)`` is ``"₁₂"``; with an index above 9, ``"₁,₁₀"``."""
    separator = "," if any(index > 9 for index in indices) else ""
    return separator.join(str(index).translate(_SUBSCRIPT) for index in indices)


def _weight_symbol(layer: int, depth: int) -> str:
    if depth == 2:
        return ("w", "u")[layer - 1]
    return f"w{_sup(layer)}" if depth > 1 else "w"


def _render(
    columns: list[_Column],
    weights: list[Array] | None,
    labels: bool,
    depth: int,
    *,
    biases: bool = False,
    targets: bool = False,
) -> str:
    rows = max(len(column.shown) for column in columns)
    width = 2 * _MARGIN + _COLUMN_GAP * (len(columns) - 1) + 120
    height = _HEADER + rows * _ROW_GAP + 10
    left = _MARGIN + 60

    def centre(position: int, row: int) -> tuple[float, float]:
        column = columns[position]
        top = _HEADER + (rows - len(column.shown)) * _ROW_GAP / 2 + _ROW_GAP / 2
        return left + position * _COLUMN_GAP, top + row * _ROW_GAP

    sizes = "-".join(str(column.size) for column in columns)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height:.0f}" '
        f'viewBox="0 0 {width} {height:.0f}" font-family="DejaVu Sans, Helvetica, Arial, '
        f'sans-serif" role="img" aria-label="a {sizes} network" class="lk-network">',
        f"<title>A {sizes} network</title>",
        f'<rect class="lk-background" width="{width}" height="{height:.0f}" fill="white"/>',
    ]
    scale = max((float(np.max(np.abs(w))) for w in weights), default=1.0) if weights else 1.0
    edges, texts = [], []
    for layer in range(1, len(columns)):
        source, target = columns[layer - 1], columns[layer]
        symbol = _weight_symbol(layer, depth)
        labelled = labels and None not in source.shown and None not in target.shown
        count = len(source.shown)
        for row_i, i in enumerate(source.shown):
            if i is None:
                continue
            x1, y1 = centre(layer - 1, row_i)
            # Each sender's labels sit at their own distance along the lines, so that the
            # labels of different senders do not pile up in one place.
            along = 0.5 if count == 1 else 0.3 + 0.4 * row_i / (count - 1)
            for row_j, j in enumerate(target.shown):
                if j is None:
                    continue
                x2, y2 = centre(layer, row_j)
                colour, stroke, sign = _NEUTRAL, 1.0, "lk-edge"
                if weights is not None:
                    value = float(weights[layer - 1][i, j])
                    colour = _POSITIVE if value >= 0 else _NEGATIVE
                    sign = "lk-positive" if value >= 0 else "lk-negative"
                    stroke = 0.6 + 2.4 * abs(value) / scale if scale > 0 else 1.0
                edges.append(
                    f'<line class="{sign}" x1="{x1 + _RADIUS:.1f}" y1="{y1:.1f}" '
                    f'x2="{x2 - _RADIUS:.1f}" '
                    f'y2="{y2:.1f}" stroke="{colour}" stroke-width="{stroke:.2f}"/>'
                )
                if labelled:
                    lx = x1 + _RADIUS + (x2 - x1 - 2 * _RADIUS) * along
                    ly = y1 + (y2 - y1) * (lx - x1) / (x2 - x1)
                    texts.append(
                        f'<text class="lk-text lk-halo" x="{lx:.1f}" y="{ly + 4:.1f}" '
                        f'font-size="12" text-anchor="middle" fill="#1a202c" stroke="white" '
                        f'stroke-width="3" paint-order="stroke">'
                        f"{escape(symbol + _sub(i + 1, j + 1))}</text>"
                    )
    parts += edges + texts
    for position, column in enumerate(columns):
        x, _ = centre(position, 0)
        for line, text in enumerate(column.header):
            parts.append(
                f'<text class="lk-text" x="{x:.1f}" y="{18 + 17 * line}" font-size="13" '
                f'text-anchor="middle" fill="#1a202c">{escape(text)}</text>'
            )
        for row, unit in enumerate(column.shown):
            cx, cy = centre(position, row)
            if unit is None:
                parts.append(
                    f'<text class="lk-text" x="{cx:.1f}" y="{cy + 6:.1f}" font-size="20" '
                    f'text-anchor="middle" fill="#4a5568">⋮</text>'
                )
                continue
            parts.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{_RADIUS}" fill="{_FILL[column.kind]}" '
                f'stroke="#2d3748" stroke-width="1.2"/>'
            )
            label = escape(column.symbol + _sub(unit + 1))
            size = 13 if len(label) <= 3 else 10
            parts.append(
                f'<text x="{cx:.1f}" y="{cy + size / 3:.1f}" font-size="{size}" '
                f'text-anchor="middle" fill="#1a202c">{label}</text>'
            )
            if biases and position > 0:
                # Above the unit, where no line runs: lines meet a unit at its sides.
                bias = escape(f"b{_sup(position)}{_sub(unit + 1)}")
                parts.append(
                    f'<text class="lk-text lk-halo" x="{cx:.1f}" y="{cy - _RADIUS - 4:.1f}" '
                    f'font-size="11" text-anchor="middle" fill="#1a202c" stroke="white" '
                    f'stroke-width="3" paint-order="stroke">{bias}</text>'
                )
            if targets and column.kind == "output":
                parts.append(
                    f'<line class="lk-text-line" x1="{cx + _RADIUS + 4:.1f}" y1="{cy:.1f}" '
                    f'x2="{cx + _RADIUS + 30:.1f}" y2="{cy:.1f}" stroke="#4a5568" '
                    f'stroke-width="1" stroke-dasharray="3 3"/>'
                )
                parts.append(
                    f'<text class="lk-text" x="{cx + _RADIUS + 34:.1f}" y="{cy + 4.5:.1f}" '
                    f'font-size="13" fill="#1a202c">{escape("t" + _sub(unit + 1))}</text>'
                )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
