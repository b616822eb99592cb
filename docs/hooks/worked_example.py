"""MkDocs hook: the worked example's numbers, computed by layerkit while the site builds.

``docs/math/worked-example.md`` holds the marker ``<!-- worked-example -->``; this hook
replaces it with the forward pass, the backward pass and one SGD step of the derivation's
2-3-2 sigmoid network, every number next to the formula that produced it. The numbers come
from running layerkit's own layers on fixed weights, so the page shows what the library
computes today and cannot drift from it. ``tests/test_docs_content.py`` recomputes them with
NumPy closed forms.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

import layerkit as lk
from layerkit.draw import draw
from layerkit.explain import WORKED_EXAMPLE, explain, worked_example
from layerkit.explain_html import explanation_html

MARKER = "<!-- worked-example -->"
DRAWING_MARKER = "<!-- worked-example-drawing -->"

# The example's fixed numbers (input, target, weights, biases) are layerkit.explain's, which
# `layerkit explain` prints too: w[i][j] connects input i to hidden unit j, u[j][k] hidden
# unit j to output k, as in the derivation.
GIVEN = WORKED_EXAMPLE
LEARNING_RATE = 0.5


@dataclass(frozen=True)
class WorkedExample:
    """Every number of one training step of the 2-3-2 network, as layerkit computed them."""

    x: np.ndarray
    t: np.ndarray
    w: np.ndarray
    b1: np.ndarray
    u: np.ndarray
    b2: np.ndarray
    learning_rate: float
    a1: np.ndarray  # a⁽¹⁾ = x w + b⁽¹⁾
    h: np.ndarray  # h = σ(a⁽¹⁾)
    a2: np.ndarray  # a⁽²⁾ = h u + b⁽²⁾
    y: np.ndarray  # y = σ(a⁽²⁾)
    loss: float  # L = ½ Σ (y − t)²
    dL_dy: np.ndarray  # ∂L/∂y = y − t
    delta2: np.ndarray  # δ⁽²⁾ = ∂L/∂a⁽²⁾
    grad_u: np.ndarray  # ∂L/∂u = hᵀ δ⁽²⁾
    grad_b2: np.ndarray  # ∂L/∂b⁽²⁾ = δ⁽²⁾
    dL_dh: np.ndarray  # ∂L/∂h = δ⁽²⁾ uᵀ
    delta1: np.ndarray  # δ⁽¹⁾ = ∂L/∂a⁽¹⁾
    grad_w: np.ndarray  # ∂L/∂w = xᵀ δ⁽¹⁾
    grad_b1: np.ndarray  # ∂L/∂b⁽¹⁾ = δ⁽¹⁾
    new_w: np.ndarray  # after one SGD step
    new_b1: np.ndarray
    new_u: np.ndarray
    new_b2: np.ndarray
    new_loss: float  # the loss of the same sample after the step
    gradcheck_error: float  # the largest relative error gradcheck reports for this network


@functools.cache
def compute() -> WorkedExample:
    """Run the forward pass, the backward pass and one SGD step with layerkit."""
    net, x, t = worked_example()
    hidden, sigmoid1, output, sigmoid2 = net
    loss = lk.L2Loss()

    # Forward and backward one layer at a time, exactly as Sequential does, to keep the
    # intermediate values that the page shows.
    a1 = hidden.forward(x)
    h = sigmoid1.forward(a1)
    a2 = output.forward(h)
    y = sigmoid2.forward(a2)
    value = loss.forward(y, t)
    dL_dy = loss.backward()
    delta2 = sigmoid2.backward(dL_dy)
    dL_dh = output.backward(delta2)
    delta1 = sigmoid1.backward(dL_dh)
    hidden.backward(delta1)
    gradients = {p.name: p.grad.copy() for p in net.parameters()}
    errors = lk.gradcheck(net, x, t, lk.L2Loss())

    lk.SGD(LEARNING_RATE).step(net)
    return WorkedExample(
        x=x,
        t=t,
        w=np.array(GIVEN["w"]),
        b1=np.array(GIVEN["b1"]),
        u=np.array(GIVEN["u"]),
        b2=np.array(GIVEN["b2"]),
        learning_rate=LEARNING_RATE,
        a1=a1,
        h=h,
        a2=a2,
        y=y,
        loss=value,
        dL_dy=dL_dy,
        delta2=delta2,
        grad_u=gradients["2.W"],
        grad_b2=gradients["2.b"],
        dL_dh=dL_dh,
        delta1=delta1,
        grad_w=gradients["0.W"],
        grad_b1=gradients["0.b"],
        new_w=hidden.W.copy(),
        new_b1=hidden.b.copy(),
        new_u=output.W.copy(),
        new_b2=output.b.copy(),
        new_loss=loss.forward(net.forward(x), t),
        gradcheck_error=max(errors.values()),
    )


# ------------------------------------------------------------------------------ rendering
def number(value: float) -> str:
    """Format a computed value to six significant digits, without an exponent.

    >>> number(0.593269992), number(-0.00117470), number(0.5)
    ('0.59327', '-0.0011747', '0.5')
    """
    return np.format_float_positional(
        float(value), precision=6, unique=False, fractional=False, trim="-"
    )


def _factor(value: float) -> str:
    """A number as a factor of a product: a negative one in parentheses."""
    return f"({number(value)})" if value < 0 else number(value)


def _plus(value: float) -> str:
    """A number added to what comes before it: ``+ 0.3`` or ``- 0.3``."""
    return f"- {number(-value)}" if value < 0 else f"+ {number(value)}"


def _dL(symbol: str) -> str:
    """The LaTeX for ∂L/∂symbol."""
    return r"\frac{\partial L}{\partial " + symbol + "}"


def _matrix(values: np.ndarray) -> str:
    rows = np.atleast_2d(values)
    body = r" \\ ".join(" & ".join(number(v) for v in row) for row in rows)
    return r"\begin{pmatrix} " + body + r" \end{pmatrix}"


def _display(latex: str) -> str:
    return "$$\n" + latex + "\n$$"


def _aligned(rows: list[str]) -> str:
    # A little air between rows, which are often two fractions tall.
    return _display("\\begin{aligned}\n" + " \\\\[0.4em]\n".join(rows) + "\n\\end{aligned}")


def _row(left: str, formula: str, numbers: str, result: float, *, wrap: bool = False) -> str:
    """One line ``left = formula = numbers = result``; ``wrap`` puts the numbers below."""
    between = r" \\ &= " if wrap else " = "
    return f"{left} &= {formula}{between}{numbers} = {number(result)}"


def render(example: WorkedExample) -> str:
    """Return the Markdown (with KaTeX math) that replaces the marker."""
    e = example
    inputs = range(len(e.x))
    hidden = range(len(e.h))
    outputs = range(len(e.y))
    eta = number(e.learning_rate)

    def a1(j: int) -> str:
        return f"a^{{(1)}}_{j + 1}"

    def a2(k: int) -> str:
        return f"a^{{(2)}}_{k + 1}"

    def b1(j: int) -> str:
        return f"b^{{(1)}}_{j + 1}"

    def b2(k: int) -> str:
        return f"b^{{(2)}}_{k + 1}"

    def delta1(j: int) -> str:
        return rf"\delta^{{(1)}}_{j + 1}"

    def delta2(k: int) -> str:
        return rf"\delta^{{(2)}}_{k + 1}"

    def w(i: int, j: int) -> str:
        return f"w_{{{i + 1}{j + 1}}}"

    def u(j: int, k: int) -> str:
        return f"u_{{{j + 1}{k + 1}}}"

    def x(i: int) -> str:
        return f"x_{i + 1}"

    def h(j: int) -> str:
        return f"h_{j + 1}"

    def y(k: int) -> str:
        return f"y_{k + 1}"

    def t(k: int) -> str:
        return f"t_{k + 1}"

    def sigmoid_of(value: float) -> str:
        return r"\frac{1}{1 + e^{-" + _factor(value) + "}}"

    parts = [
        "## The numbers we start from",
        "One sample, its target, and weights chosen by hand (small, with a few negative ones "
        "so that the signs are worth following):",
        _display(rf"x = {_matrix(e.x)}, \qquad t = {_matrix(e.t)}, \qquad \eta = {eta}"),
        _display(rf"w = {_matrix(e.w)}, \qquad b^{{(1)}} = {_matrix(e.b1)}"),
        _display(rf"u = {_matrix(e.u)}, \qquad b^{{(2)}} = {_matrix(e.b2)}"),
        "The network with these weights, as `layerkit draw` pictures it (blue lines are "
        "positive weights, red negative, thicker for larger magnitudes):",
        _figure(draw(worked_example()[0], biases=True, targets=True)),
        "## Forward pass",
        r"Each hidden unit \(j\) adds up its weighted inputs, "
        r"\(a^{(1)}_j = \sum_i x_i w_{ij} + b^{(1)}_j\) (`Dense.forward`):",
        _aligned(
            [
                _row(
                    a1(j),
                    " + ".join(f"{x(i)} {w(i, j)}" for i in inputs) + f" + {b1(j)}",
                    " + ".join(rf"{number(e.x[i])} \cdot {_factor(e.w[i, j])}" for i in inputs)
                    + f" {_plus(e.b1[j])}",
                    e.a1[j],
                )
                for j in hidden
            ]
        ),
        r"and squashes the sum with the sigmoid, \(h_j = \sigma(a^{(1)}_j)\) "
        r"(`Sigmoid.forward`):",
        _aligned([_row(h(j), rf"\sigma({a1(j)})", sigmoid_of(e.a1[j]), e.h[j]) for j in hidden]),
        r"The output layer does the same with \(h\) as its input:",
        _aligned(
            [
                _row(
                    a2(k),
                    rf"\textstyle\sum_j h_j u_{{j{k + 1}}} + {b2(k)}",
                    " + ".join(rf"{number(e.h[j])} \cdot {_factor(e.u[j, k])}" for j in hidden)
                    + f" {_plus(e.b2[k])}",
                    e.a2[k],
                    wrap=True,
                )
                for k in outputs
            ]
        ),
        _aligned([_row(y(k), rf"\sigma({a2(k)})", sigmoid_of(e.a2[k]), e.y[k]) for k in outputs]),
        r"The loss compares \(y\) with the target \(t\) (`L2Loss.forward`):",
        _aligned(
            [
                _row(
                    "L",
                    r"\tfrac{1}{2} \sum_k (y_k - t_k)^2",
                    r"\tfrac{1}{2} \bigl("
                    + " + ".join(f"({number(e.y[k])} - {number(e.t[k])})^2" for k in outputs)
                    + r"\bigr)",
                    e.loss,
                )
            ]
        ),
        "## Backward pass",
        r"The loss hands back the plain error, \(\partial L / \partial y_k = y_k - t_k\) "
        r"(`L2Loss.backward`):",
        _aligned(
            [
                _row(
                    _dL(y(k)),
                    f"{y(k)} - {t(k)}",
                    f"{number(e.y[k])} - {number(e.t[k])}",
                    e.dL_dy[k],
                )
                for k in outputs
            ]
        ),
        r"The output sigmoid multiplies it by \(y_k(1 - y_k)\), giving the error signal of "
        r"each output unit (`Sigmoid.backward`):",
        _aligned(
            [
                _row(
                    delta2(k),
                    rf"({y(k)} - {t(k)})\, {y(k)}(1 - {y(k)})",
                    rf"{_factor(e.dL_dy[k])} \cdot {number(e.y[k])} \cdot "
                    rf"(1 - {number(e.y[k])})",
                    e.delta2[k],
                    wrap=True,
                )
                for k in outputs
            ]
        ),
        r"The output layer's gradients are *error signal at the receiving end times activity "
        r"at the sending end*, \(\partial L / \partial u_{jk} = \delta^{(2)}_k h_j\), and "
        r"\(\partial L / \partial b^{(2)}_k = \delta^{(2)}_k\) (`Dense.backward`):",
        _aligned(
            [
                _row(
                    _dL(u(j, k)),
                    f"{delta2(k)} {h(j)}",
                    rf"{_factor(e.delta2[k])} \cdot {number(e.h[j])}",
                    e.grad_u[j, k],
                )
                for j in hidden
                for k in outputs
            ]
            + [f"{_dL(b2(k))} &= {delta2(k)} = {number(e.grad_b2[k])}" for k in outputs]
        ),
        r"`Dense.backward` also returns the gradient with respect to its input, "
        r"\(\partial L / \partial h_j = \sum_k \delta^{(2)}_k u_{jk}\): each output's error "
        r"sent back through the weight that carried \(h_j\) forward.",
        _aligned(
            [
                _row(
                    _dL(h(j)),
                    " + ".join(f"{delta2(k)} {u(j, k)}" for k in outputs),
                    " + ".join(
                        rf"{_factor(e.delta2[k])} \cdot {_factor(e.u[j, k])}" for k in outputs
                    ),
                    e.dL_dh[j],
                    wrap=True,
                )
                for j in hidden
            ]
        ),
        r"The hidden sigmoid scales each by \(h_j(1 - h_j)\), giving the hidden error signals "
        r"(`Sigmoid.backward` again):",
        _aligned(
            [
                _row(
                    delta1(j),
                    f"{h(j)}(1 - {h(j)})" + _dL(h(j)),
                    rf"{number(e.h[j])} \cdot (1 - {number(e.h[j])}) \cdot " + _factor(e.dL_dh[j]),
                    e.delta1[j],
                    wrap=True,
                )
                for j in hidden
            ]
        ),
        r"and the hidden layer's gradients have the same form as the output layer's, "
        r"\(\partial L / \partial w_{ij} = \delta^{(1)}_j x_i\) and "
        r"\(\partial L / \partial b^{(1)}_j = \delta^{(1)}_j\):",
        _aligned(
            [
                _row(
                    _dL(w(i, j)),
                    f"{delta1(j)} {x(i)}",
                    rf"{_factor(e.delta1[j])} \cdot {number(e.x[i])}",
                    e.grad_w[i, j],
                )
                for i in inputs
                for j in hidden
            ]
            + [f"{_dL(b1(j))} &= {delta1(j)} = {number(e.grad_b1[j])}" for j in hidden]
        ),
        r"In matrix form these are the arrays `Dense.backward` stores in `dW`: "
        r"\(\partial L / \partial u = h^{\mathsf T} \delta^{(2)}\) for the output layer and "
        r"\(\partial L / \partial w = x^{\mathsf T} \delta^{(1)}\) for the hidden layer.",
        _display(rf"{_dL('u')} = {_matrix(e.grad_u)}"),
        _display(rf"{_dL('w')} = {_matrix(e.grad_w)}"),
        "`gradcheck` compares these with central finite differences of the loss, nudging each "
        "weight up and down: the largest relative difference for this network is "
        f"{e.gradcheck_error:.1e}, far below the 1e-6 that would point at a bug.",
        "## One SGD step",
        r"Every parameter moves against its gradient, "
        rf"\(\theta \leftarrow \theta - \eta\, \partial L / \partial \theta\) with "
        rf"\(\eta = {eta}\) (`SGD.step`):",
        _aligned(
            [
                rf"{w(i, j)} &\leftarrow {number(e.w[i, j])} - {eta} \cdot "
                rf"{_factor(e.grad_w[i, j])} = {number(e.new_w[i, j])}"
                for i in inputs
                for j in hidden
            ]
            + [
                rf"{b1(j)} &\leftarrow {number(e.b1[j])} - {eta} \cdot "
                rf"{_factor(e.grad_b1[j])} = {number(e.new_b1[j])}"
                for j in hidden
            ]
        ),
        _aligned(
            [
                rf"{u(j, k)} &\leftarrow {number(e.u[j, k])} - {eta} \cdot "
                rf"{_factor(e.grad_u[j, k])} = {number(e.new_u[j, k])}"
                for j in hidden
                for k in outputs
            ]
            + [
                rf"{b2(k)} &\leftarrow {number(e.b2[k])} - {eta} \cdot "
                rf"{_factor(e.grad_b2[k])} = {number(e.new_b2[k])}"
                for k in outputs
            ]
        ),
        "Run forward again with the new parameters and the loss of the same sample has fallen "
        f"from {number(e.loss)} to **{number(e.new_loss)}**.",
        "Notice how small the hidden layer's gradients are next to the output layer's: each "
        r"\(\delta^{(1)}_j\) went through an extra factor \(h_j(1 - h_j) \le \tfrac{1}{4}\), and "
        r"is then multiplied by an input \(x_i\) of only 0.05 or 0.10. Deeper sigmoid networks "
        "shrink their gradients layer after layer in the same way.",
        "## Reproduce it",
        "The same step in a few lines of layerkit:",
        _reproduce_code(e),
    ]
    return "\n\n".join(parts) + "\n"


def _reproduce_code(e: WorkedExample) -> str:
    def array(values: Any) -> str:
        return repr(np.asarray(values).tolist())

    return f"""```python
import numpy as np
import layerkit as lk
from layerkit.draw import draw
from layerkit.explain import WORKED_EXAMPLE, worked_example

x, t = np.array({array(e.x)}), np.array({array(e.t)})
net = lk.Sequential(
    lk.Dense(2, 3, W={array(e.w)},
             b={array(e.b1)}),
    lk.Sigmoid(),
    lk.Dense(3, 2, W={array(e.u)},
             b={array(e.b2)}),
    lk.Sigmoid(),
)
loss = lk.L2Loss()
print(loss(net(x), t))           # the loss L
net.backward(loss.backward())    # fills dW and db of both Dense layers
print(net[0].dW)                 # ∂L/∂w
print(net[2].dW)                 # ∂L/∂u
lk.SGD(lr={e.learning_rate!r}).step(net)
print(loss(net(x), t))           # the loss after one step
```"""


def _figure(svg: str) -> str:
    """Inline an SVG drawing as a centred figure (the page stays free of external files)."""
    return f'<figure class="network-figure" markdown="0">\n{svg.strip()}\n</figure>'


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Replace the marker with the generated worked example."""
    if MARKER not in markdown:
        return markdown
    # the interactive drawing of the same pass, from the explanation `layerkit explain` prints
    drawing = explanation_html(explain(*worked_example()), learning_rate=LEARNING_RATE)
    markdown = markdown.replace(DRAWING_MARKER, f"\n{drawing}\n")
    return markdown.replace(MARKER, render(compute()))


def values(example: WorkedExample) -> dict[str, Any]:
    """The example's fields by name (for the tests)."""
    return {field.name: getattr(example, field.name) for field in fields(example)}
