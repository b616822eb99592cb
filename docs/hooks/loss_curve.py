"""MkDocs hook: the loss-curve plot, drawn from layerkit training runs while the site builds.

``docs/tutorials/loss-curve.md`` holds the marker ``<!-- loss-curve -->``; this hook trains the
XOR network of the tutorials with three learning rates and replaces the marker with an inline
SVG of the three loss histories on a log scale. The SVG is written by hand (no plotting
library, no file, nothing fetched), and its colours follow the site's light or dark theme.
"""

from __future__ import annotations

import functools
import math
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

import layerkit as lk

MARKER = "<!-- loss-curve -->"
LEARNING_RATES = (0.5, 2.0, 8.0)
EPOCHS = 3000

WIDTH, HEIGHT = 640, 360
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 48  # margins around the plotting area
MAX_POINTS = 400  # per curve; the SVG stays small


def xor_data() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR samples and their targets, as in the tutorials."""
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    t = np.array([[0], [1], [1], [0]], dtype=float)
    return x, t


@functools.cache
def histories() -> dict[float, list[float]]:
    """Train the 2-3-1 sigmoid network once per learning rate; return each loss history."""
    x, t = xor_data()
    result = {}
    for learning_rate in LEARNING_RATES:
        net = lk.Sequential(
            lk.Dense(2, 3, seed=0), lk.Sigmoid(), lk.Dense(3, 1, seed=1), lk.Sigmoid()
        )
        result[learning_rate] = lk.fit(
            net, x, t, loss=lk.L2Loss(), optimizer=lk.SGD(learning_rate), epochs=EPOCHS, seed=0
        )
    return result


def _superscript(exponent: int) -> str:
    return str(exponent).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))


def svg(curves: dict[float, list[float]]) -> str:
    """Return an inline SVG plotting each history against its epoch, loss on a log scale."""
    losses = np.concatenate([np.asarray(history) for history in curves.values()])
    epochs = max(len(history) for history in curves.values())
    low = math.floor(math.log10(float(losses.min())))
    high = math.ceil(math.log10(float(losses.max())))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(epoch: float) -> float:
        return LEFT + plot_width * (epoch - 1) / max(epochs - 1, 1)

    def py(loss: float) -> float:
        return TOP + plot_height * (high - math.log10(loss)) / (high - low)

    parts = [
        f'<svg class="lk-plot" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="loss-curve-title" xmlns="http://www.w3.org/2000/svg">',
        '<title id="loss-curve-title">Training loss per epoch of the XOR network for '
        + ", ".join(f"learning rate {rate:g}" for rate in curves)
        + ", on a logarithmic scale</title>",
    ]
    # Grid lines and labels: one per power of ten, and every 500 epochs.
    for exponent in range(low, high + 1):
        y = py(10.0**exponent)
        parts.append(
            f'<line class="lk-grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="lk-label" x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">'
            f"10{_superscript(exponent)}</text>"
        )
    step = 500
    for epoch in range(0, epochs + 1, step):
        x = px(max(epoch, 1))
        parts.append(
            f'<line class="lk-grid" x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM}"/>'
        )
        parts.append(
            f'<text class="lk-label" x="{x:.1f}" y="{HEIGHT - BOTTOM + 18}" '
            f'text-anchor="middle">{epoch}</text>'
        )
    parts.append(
        f'<text class="lk-label" x="{LEFT + plot_width / 2:.1f}" y="{HEIGHT - 6}" '
        'text-anchor="middle">epoch</text>'
    )
    parts.append(
        f'<text class="lk-label" transform="translate(14 {TOP + plot_height / 2:.1f}) '
        'rotate(-90)" text-anchor="middle">L2 loss</text>'
    )
    parts.append(
        f'<rect class="lk-axes" x="{LEFT}" y="{TOP}" width="{plot_width}" height="{plot_height}"/>'
    )
    # The curves, thinned to at most MAX_POINTS points each, and their legend.
    for index, (rate, history) in enumerate(curves.items()):
        keep = np.unique(np.linspace(0, len(history) - 1, MAX_POINTS).round().astype(int))
        points = " ".join(f"{px(i + 1):.1f},{py(history[i]):.1f}" for i in keep)
        parts.append(f'<polyline class="lk-curve lk-curve-{index}" points="{points}"/>')
        y = TOP + 20 + 22 * index
        x = WIDTH - RIGHT - 130
        parts.append(
            f'<line class="lk-curve lk-curve-{index}" x1="{x}" y1="{y}" x2="{x + 28}" y2="{y}"/>'
        )
        parts.append(
            f'<text class="lk-label" x="{x + 36}" y="{y + 4}">{escape(f"η = {rate:g}")}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def render(curves: dict[float, list[float]]) -> str:
    """The figure that replaces the marker: the SVG and a caption saying where it came from."""

    def short(value: float) -> str:
        return np.format_float_positional(value, precision=2, unique=False, fractional=False)

    summary = "; ".join(
        f"η = {rate:g}: {short(history[0])} → {short(history[-1])}"
        for rate, history in curves.items()
    )
    return (
        '<figure class="lk-figure">\n'
        + svg(curves)
        + "\n<figcaption>The loss of every epoch, from <code>lk.fit</code> run while this site "
        f"was built ({summary}).</figcaption>\n</figure>\n"
    )


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Replace the marker with the plot."""
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, render(histories()))
