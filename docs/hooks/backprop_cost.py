"""MkDocs hook: what backpropagation saves over finite differences, timed while the site builds.

``docs/math/backpropagation.md`` holds the marker ``<!-- backprop-cost -->``; this hook computes
the gradient of a few small layerkit networks both ways, by one forward and one backward pass
and by central finite differences (two forward passes per parameter), times both, and replaces
the marker with a table of the parameter counts, times and their ratio. Nothing is typed by
hand: the numbers are those of the machine that built the site.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import layerkit as lk

MARKER = "<!-- backprop-cost -->"
NETWORKS = ([2, 3, 2], [2, 16, 16, 1], [8, 64, 64, 4])  # the page's net, then larger ones
BATCH = 32
EPSILON = 1e-6


@dataclass(frozen=True)
class Cost:
    """The two ways of computing one network's gradient, timed."""

    sizes: list[int]
    parameters: int  # P, every weight and bias
    backprop: float  # seconds for forward, loss and backward
    finite_differences: float  # seconds for the 2P forward passes

    @property
    def ratio(self) -> float:
        return self.finite_differences / self.backprop


def _setup(sizes: list[int]) -> tuple[lk.Sequential, lk.L2Loss, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    net = lk.mlp(sizes, seed=0)
    x = rng.normal(size=(BATCH, sizes[0]))
    t = rng.uniform(size=(BATCH, sizes[-1]))
    return net, lk.L2Loss(), x, t


def backprop_gradient(net: lk.Sequential, loss: lk.L2Loss, x: np.ndarray, t: np.ndarray) -> None:
    """Every parameter's gradient by one forward and one backward pass (left in ``grad``)."""
    loss.forward(net.forward(x), t)
    net.backward(loss.backward())


def finite_difference_gradient(
    net: lk.Sequential, loss: lk.L2Loss, x: np.ndarray, t: np.ndarray
) -> list[np.ndarray]:
    """Every parameter's gradient by central differences: two forward passes per parameter."""
    gradients = []
    for parameter in net.parameters():
        gradient = np.zeros_like(parameter.value)
        for index in np.ndindex(parameter.value.shape):
            kept = parameter.value[index]
            parameter.value[index] = kept + EPSILON
            up = loss.forward(net.forward(x), t)
            parameter.value[index] = kept - EPSILON
            down = loss.forward(net.forward(x), t)
            parameter.value[index] = kept
            gradient[index] = (up - down) / (2 * EPSILON)
        gradients.append(gradient)
    return gradients


def _best_time(run: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


@functools.cache
def measure() -> tuple[Cost, ...]:
    """Time both gradients of every network in ``NETWORKS``."""
    costs = []
    for sizes in NETWORKS:
        net, loss, x, t = _setup(sizes)
        parameters = sum(p.value.size for p in net.parameters())
        backprop = _best_time(lambda: backprop_gradient(net, loss, x, t), repeat=50)  # noqa: B023
        differences = _best_time(
            lambda: finite_difference_gradient(net, loss, x, t),  # noqa: B023
            repeat=3 if parameters < 1000 else 1,
        )
        costs.append(Cost(list(sizes), parameters, backprop, differences))
    return tuple(costs)


def _duration(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def render(costs: tuple[Cost, ...]) -> str:
    """The Markdown table that replaces the marker."""
    # Short headers, "backpropagation" allowed to break: on a phone the five columns fit the
    # screen (docs/stylesheets/extra.css narrows their padding) instead of hiding the ratio.
    rows = [
        "| network | \\(P\\) | backprop&shy;agation: 1 forward + 1 backward "
        "| finite differences: \\(2P\\) forwards | finite differences ÷ backprop&shy;agation |",
        "| --- | --: | --: | --: | --: |",
    ]
    for cost in costs:
        rows.append(
            f"| {'-'.join(map(str, cost.sizes))} | {cost.parameters:,} "
            f"| {_duration(cost.backprop)} | {_duration(cost.finite_differences)} "
            f"| {cost.ratio:,.0f}× |"
        )
    return (
        '<div class="lk-cost" markdown>\n\n'
        + "\n".join(rows)
        + "\n\n</div>\n"
        + f"\n*\\(P\\) counts every weight and bias. Timed with `time.perf_counter` on a batch of "
        f"{BATCH} samples, sigmoid layers built by `lk.mlp`, float64, on the machine that built "
        "this page (best of several runs).*\n"
    )


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Replace the marker with the measured table."""
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, render(measure()))
