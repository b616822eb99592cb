"""One pass of `explain` drawn on the network: a self-contained, interactive HTML page.

The drawing is `draw`'s (one column of units per layer, big layers summarised with ⋮) with
the numbers of an `Explanation` written on it: activations above the units, δ below them,
∂L/∂y and L beside the outputs, and on the weights first their values, then ∂L/∂w, then the
updated weights w − η ∂L/∂w (computed by `SGD.update`, the library's own step). A step
control walks through the six stages of the derivation (forward, loss, output δ, hidden δ,
gradients, update); each highlights its numbers on the drawing and shows its formulas and
values as the text trace prints them (`layerkit.cli.render`, the same formatting).

Every number comes from the explanation's steps: nothing is recomputed here but the update.
The page loads nothing from the network: its style sheet and script are inlined, and the
formulas are explain's own Unicode formulas (δ⁽¹⁾ⱼ = hⱼ(1 − hⱼ) Σₖ δ⁽²⁾ₖ uⱼₖ), written as
HTML text, so no math renderer is needed. Light and dark follow ``prefers-color-scheme``.

Examples
--------
>>> from layerkit.explain import explain, worked_example
>>> explanation = explain(*worked_example())
>>> page = explanation_page(explanation)
>>> page.startswith("<!DOCTYPE html>"), "δ⁽¹⁾ⱼ = hⱼ(1 − hⱼ) Σₖ δ⁽²⁾ₖ uⱼₖ" in page
(True, True)
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from html import escape
from importlib import resources
from string import Template

import numpy as np

from .cli.render import LINE_WIDTH, _value_lines, number
from .draw import LABEL_LIMIT, _column, _sub, _weight_symbol
from .errors import ConfigurationError
from .explain import Explanation, Step, _sup
from .optim import SGD
from .validation import positive_int, real_number

__all__ = ["STAGES", "explanation_html", "explanation_page"]

STAGES = ("forward", "loss", "output δ", "hidden δ", "gradients", "update")
"""The stages of the step control, in order; a stage is named by its index in the page."""

FORWARD, LOSS, OUTPUT_DELTA, HIDDEN_DELTA, GRADIENTS, UPDATE = range(len(STAGES))

# Geometry, in SVG user units: draw's layout with room for a number above and below each unit.
_COLUMN_GAP = 260
_ROW_GAP = 84
_RADIUS = 19
_HEADER = 60
_LEFT = 90
_LABEL_PRECISION = 4  # numbers on the drawing; the panel has the text trace's precision


@dataclass(frozen=True)
class _Layer:
    """One Dense layer and its activation, as the explanation's steps name them."""

    weight: Step
    bias: Step
    output: Step  # h, h⁽ℓ⁾ or y (a linear layer's a⁽ℓ⁾ is its output)
    pre: Step | None  # a⁽ℓ⁾, when an activation follows the Dense layer
    delta: Step
    weight_gradient: Step
    bias_gradient: Step


def _layers(explanation: Explanation) -> list[_Layer]:
    """Group the steps by layer, in the order `explain` wrote them."""
    parameters = explanation.phase("given")[2:]  # after x and t: W and b of each layer
    weights, biases = parameters[0::2], parameters[1::2]
    dense_positions = {weight.layer for weight in weights}
    groups: list[list[Step]] = []
    for step in explanation.phase("forward"):
        if step.symbol == "L":
            continue
        if step.layer in dense_positions:
            groups.append([step])
        else:
            groups[-1].append(step)
    layers = []
    for number_, (weight, bias, group) in enumerate(zip(weights, biases, groups, strict=True), 1):
        layers.append(
            _Layer(
                weight=weight,
                bias=bias,
                output=group[-1],
                pre=group[0] if len(group) == 2 else None,
                delta=explanation[f"δ{_sup(number_)}"],
                weight_gradient=explanation[f"∂L/∂{weight.symbol}"],
                bias_gradient=explanation[f"∂L/∂{bias.symbol}"],
            )
        )
    return layers


def _stage_of(step: Step, layers: list[_Layer]) -> int | None:
    """The stage of the step control whose panel lists ``step`` (None for the given numbers)."""
    hidden_outputs = {f"∂L/∂{layer.output.symbol}" for layer in layers[:-1]}
    if step.phase == "given":
        return None
    if step.phase == "forward":
        return LOSS if step.symbol == "L" else FORWARD
    if step.symbol == "∂L/∂y":
        return LOSS
    if step is layers[-1].delta:
        return OUTPUT_DELTA
    if step.symbol.startswith("δ") or step.symbol in hidden_outputs:
        return HIDDEN_DELTA
    return GRADIENTS


def explanation_html(
    explanation: Explanation,
    *,
    learning_rate: float = 0.5,
    max_units: int = 12,
    precision: int = 6,
) -> str:
    """Return the interactive drawing of ``explanation`` as an HTML fragment.

    The fragment carries its own style sheet and script, scoped to it, so that several can
    sit on one page (a notebook's outputs, a docs page); `explanation_page` wraps it in a
    document.

    Parameters
    ----------
    explanation
        One pass, from `layerkit.explain`.
    learning_rate
        η of the update stage, w − η ∂L/∂w.
    max_units
        A layer with more units shows the first and last few with ⋮ between them (as `draw`).
    precision
        Significant digits of the numbers in the panel beside the drawing (the drawing shows 4).

    Returns
    -------
    str
        A ``<div>`` with an inline ``<style>`` and ``<script>``.

    Raises
    ------
    ConfigurationError
        For a learning rate that is not a finite non-negative number, or ``max_units`` or
        ``precision`` that is not a positive integer.
    """
    learning_rate = real_number(learning_rate, "explanation_html", "learning_rate")
    max_units = positive_int(max_units, "explanation_html", "max_units")
    precision = positive_int(precision, "explanation_html", "precision")
    if max_units < 3:
        raise ConfigurationError(
            f"explanation_html expects max_units of at least 3, got max_units={max_units}"
        )
    layers = _layers(explanation)
    updates = [_updated(layer, learning_rate) for layer in layers]
    svg = _drawing(explanation, layers, updates, max_units)
    panels = _panels(explanation, layers, updates, learning_rate, precision)
    active = ' class="lk-active"'  # the first stage, until the script runs
    buttons = "\n".join(
        f'<button type="button" data-stage="{index}"{active if index == FORWARD else ""}>'
        f"{index + 1}. {escape(name)}</button>"
        for index, name in enumerate(STAGES)
    )
    # A fresh id each time: a notebook keeps the outputs of earlier kernels, whose counters
    # started from 1 too, and each drawing's script must find its own.
    root = f"lk-explain-{uuid.uuid4().hex[:12]}"
    return _template("explain.html").substitute(
        id=root,
        style=_resource("explain.css"),
        script=_resource("explain.js").replace("LAYERKIT_ROOT_ID", root),
        buttons=buttons,
        svg=svg,
        panels=panels,
        given=_given(explanation, precision),
        loss=escape(number(explanation.loss, precision)),
    )


def explanation_page(
    explanation: Explanation,
    title: str = "One forward and backward pass",
    *,
    learning_rate: float = 0.5,
    max_units: int = 12,
    precision: int = 6,
) -> str:
    """Return a standalone HTML document of `explanation_html`, titled ``title``."""
    fragment = explanation_html(
        explanation, learning_rate=learning_rate, max_units=max_units, precision=precision
    )
    return _template("page.html").substitute(title=escape(title), body=fragment)


# ---------------------------------------------------------------------------------- update
def _updated(layer: _Layer, learning_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """W and b after one step of `SGD`, applied to copies (the model is left as it was)."""
    step = SGD(lr=learning_rate)
    weight, bias = layer.weight.value.copy(), layer.bias.value.copy()
    step.update(weight, layer.weight_gradient.value)
    step.update(bias, layer.bias_gradient.value)
    return weight, bias


# --------------------------------------------------------------------------------- drawing
def _value_text(
    x: float, y: float, name: str, value: float, first: int, last: int, css: str, anchor: str
) -> str:
    """A number on the drawing, shown from stage ``first`` to ``last``.

    Units show ``name = value``; weights show their value alone (the name is in the panel
    and the line's hover text), which keeps the labels of crossing lines apart.
    """
    shown = number(value, _LABEL_PRECISION)
    text = shown if css == "lk-weight" else f"{name} = {shown}"
    # The first stage is written as shown, so that a page whose script does not run (a
    # notebook opened untrusted) still shows the forward pass.
    state = " lk-shown lk-current" if first == FORWARD else ""
    return (
        f'<text class="lk-number {css}{state}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" '
        f'data-first="{first}" data-last="{last}" data-symbol="{escape(name)}" '
        f'data-value="{float(value)!r}">{escape(text)}</text>'
    )


def _drawing(
    explanation: Explanation,
    layers: list[_Layer],
    updates: list[tuple[np.ndarray, np.ndarray]],
    max_units: int,
) -> str:
    sizes = [explanation["x"].value.size] + [layer.output.value.size for layer in layers]
    depth = len(layers)
    names = [None if layer.pre is None else _activation_name(layer) for layer in layers]
    columns = [
        _column(position, size, depth, names, max_units) for position, size in enumerate(sizes)
    ]
    rows = max(len(column.shown) for column in columns)
    width = _LEFT + _COLUMN_GAP * depth + 150
    height = _HEADER + rows * _ROW_GAP + 10

    def centre(position: int, row: int) -> tuple[float, float]:
        top = _HEADER + (rows - len(columns[position].shown)) * _ROW_GAP / 2 + _ROW_GAP / 2
        return _LEFT + position * _COLUMN_GAP, top + row * _ROW_GAP

    labelled = max(a * b for a, b in itertools.pairwise(sizes)) <= LABEL_LIMIT
    edges, labels, units = [], [], []
    for index, layer in enumerate(layers, start=1):
        source, target = columns[index - 1], columns[index]
        symbol = _weight_symbol(index, depth)
        count = len(source.shown)
        weight, gradient = layer.weight.value, layer.weight_gradient.value
        new_weight = updates[index - 1][0]
        for row_i, i in enumerate(source.shown):
            if i is None:
                continue
            x1, y1 = centre(index - 1, row_i)
            along = 0.5 if count == 1 else 0.25 + 0.5 * row_i / (count - 1)
            for row_j, j in enumerate(target.shown):
                if j is None:
                    continue
                x2, y2 = centre(index, row_j)
                name = symbol + _sub(i + 1, j + 1)
                detail = (
                    f"{name} = {number(weight[i, j])}, ∂L/∂{name} = {number(gradient[i, j])}, "
                    f"updated {name} = {number(new_weight[i, j])}"
                )
                sign = "lk-positive" if weight[i, j] >= 0 else "lk-negative"
                edges.append(
                    f'<line class="lk-edge {sign}" x1="{x1 + _RADIUS:.1f}" y1="{y1:.1f}" '
                    f'x2="{x2 - _RADIUS:.1f}" y2="{y2:.1f}" data-stages="{GRADIENTS} {UPDATE}" '
                    f'data-detail="{escape(detail)}"><title>{escape(detail)}</title></line>'
                )
                if labelled and None not in source.shown and None not in target.shown:
                    lx = x1 + _RADIUS + (x2 - x1 - 2 * _RADIUS) * along
                    ly = y1 + (y2 - y1) * (lx - x1) / (x2 - x1) + 4
                    for first, last, shown, value in (
                        (FORWARD, HIDDEN_DELTA, name, weight[i, j]),
                        (GRADIENTS, GRADIENTS, f"∂L/∂{name}", gradient[i, j]),
                        (UPDATE, UPDATE, name, new_weight[i, j]),
                    ):
                        labels.append(
                            _value_text(lx, ly, shown, value, first, last, "lk-weight", "middle")
                        )
    for position, column in enumerate(columns):
        x, _ = centre(position, 0)
        title, formula = column.header
        units.append(
            f'<text class="lk-header" x="{x:.1f}" y="20" text-anchor="middle">'
            f'{escape(title)}</text><text class="lk-header" x="{x:.1f}" y="38" '
            f'text-anchor="middle">{escape(formula)}</text>'
        )
        layer = layers[position - 1] if position else None
        highlight = _unit_stages(position, depth)
        for row, unit in enumerate(column.shown):
            cx, cy = centre(position, row)
            if unit is None:
                units.append(
                    f'<text class="lk-gap" x="{cx:.1f}" y="{cy + 6:.1f}" '
                    f'text-anchor="middle">⋮</text>'
                )
                continue
            label = column.symbol + _sub(unit + 1)
            detail = _unit_detail(explanation, layer, label, unit)
            units.append(
                f'<circle class="lk-unit lk-{column.kind} lk-current" cx="{cx:.1f}" cy="{cy:.1f}" '
                f'r="{_RADIUS}" data-stages="{highlight}" data-detail="{escape(detail)}">'
                f"<title>{escape(detail)}</title></circle>"
                f'<text class="lk-unit-label" x="{cx:.1f}" y="{cy + 4.5:.1f}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
            values = explanation["x"].value if layer is None else layer.output.value
            units.append(
                _value_text(cx, cy - 25, label, values[unit], FORWARD, UPDATE, "lk-act", "middle")
            )
            if layer is not None:
                last_layer = position == depth
                first = OUTPUT_DELTA if last_layer else HIDDEN_DELTA
                delta = "δ" + _sub(unit + 1)
                units.append(
                    _value_text(
                        cx,
                        cy + 35,
                        delta,
                        layer.delta.value[unit],
                        first,
                        UPDATE,
                        "lk-delta",
                        "middle",
                    )
                )
                if last_layer:
                    gradient = explanation["∂L/∂y"].value[unit]
                    units.append(
                        _value_text(
                            cx + _RADIUS + 8,
                            cy + 4,
                            "∂L/∂" + label,
                            gradient,
                            LOSS,
                            UPDATE,
                            "lk-loss-gradient",
                            "start",
                        )
                    )
    loss_x, _ = centre(depth, 0)
    units.append(
        _value_text(loss_x + 75, 29, "L", explanation.loss, LOSS, UPDATE, "lk-loss", "start")
    )
    size_text = "-".join(map(str, sizes))
    return "\n".join(
        [
            f'<svg class="lk-drawing" xmlns="http://www.w3.org/2000/svg" width="{width}" '
            f'height="{height:.0f}" viewBox="0 0 {width} {height:.0f}" role="img" '
            f'aria-label="one pass through a {size_text} network">',
            *edges,
            *labels,
            *units,
            "</svg>",
        ]
    )


def _activation_name(layer: _Layer) -> str:
    """σ-style name for the header: 'sigmoid' when the formula is σ(a), else the formula's."""
    formula = layer.output.formula
    if "σ(" in formula:
        return "sigmoid"
    # "hⱼ = relu(a⁽¹⁾ⱼ)" or "y = softmax(a⁽²⁾)": the name is what precedes the parenthesis.
    right = formula.split("=", 1)[1].strip()
    return right.split("(", 1)[0]


def _unit_stages(position: int, depth: int) -> str:
    """The stages that highlight the units of column ``position``."""
    if position == 0:
        return f"{FORWARD}"
    if position == depth:
        return f"{FORWARD} {LOSS} {OUTPUT_DELTA}"
    return f"{FORWARD} {HIDDEN_DELTA}"


def _unit_detail(explanation: Explanation, layer: _Layer | None, label: str, unit: int) -> str:
    if layer is None:
        return f"{label} = {number(explanation['x'].value[unit])}"
    parts = []
    if layer.pre is not None:
        parts.append(f"{layer.pre.symbol}{_sub(unit + 1)} = {number(layer.pre.value[unit])}")
    parts.append(f"{label} = {number(layer.output.value[unit])}")
    parts.append(f"{layer.delta.symbol}{_sub(unit + 1)} = {number(layer.delta.value[unit])}")
    return ", ".join(parts)


# ---------------------------------------------------------------------------------- panels
def _rows(steps: list[tuple[str, np.ndarray, str]], precision: int) -> str:
    """Formula and value rows, the values formatted (and summarised) as the text trace does."""
    out = []
    for formula, value, source in steps:
        lines = _value_lines(np.asarray(value), precision, LINE_WIDTH)
        out.append(
            f'<tr><td class="lk-formula">{escape(formula)}</td>'
            f'<td class="lk-value">{"<br>".join(escape(line) for line in lines)}</td>'
            f'<td class="lk-source">{escape(source)}</td></tr>'
        )
    return "\n".join(out)


def _panels(
    explanation: Explanation,
    layers: list[_Layer],
    updates: list[tuple[np.ndarray, np.ndarray]],
    learning_rate: float,
    precision: int,
) -> str:
    by_stage: list[list[tuple[str, np.ndarray, str]]] = [[] for _ in STAGES]
    for step in explanation:
        stage = _stage_of(step, layers)
        if stage is not None:
            by_stage[stage].append((step.formula, step.value, step.source))
    eta = number(learning_rate)
    for layer, (weight, bias) in zip(layers, updates, strict=True):
        for given, new in ((layer.weight, weight), (layer.bias, bias)):
            formula = f"{given.symbol} ← {given.symbol} − η ∂L/∂{given.symbol}, η = {eta}"
            by_stage[UPDATE].append((formula, new, "SGD.update (on a copy)"))
    panels = []
    for index, (name, rows) in enumerate(zip(STAGES, by_stage, strict=True)):
        body = (
            _rows(rows, precision)
            if rows
            else '<tr><td colspan="3">(a network without a hidden layer has no hidden δ)</td></tr>'
        )
        panels.append(
            f'<section class="lk-panel" data-stage="{index}"{"" if index == 0 else " hidden"}>'
            f"<h3>{index + 1}. {escape(name)}</h3><table>{body}</table></section>"
        )
    return "\n".join(panels)


def _given(explanation: Explanation, precision: int) -> str:
    steps = [(step.formula, step.value, step.source) for step in explanation.phase("given")]
    return f"<table>{_rows(steps, precision)}</table>"


# -------------------------------------------------------------------------------- resources
def _resource(name: str) -> str:
    return resources.files("layerkit").joinpath("templates", name).read_text(encoding="utf-8")


def _template(name: str) -> Template:
    return Template(_resource(name))
