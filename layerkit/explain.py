"""Every number of one forward and backward pass, each next to the formula that produced it.

`explain` runs one sample through a network with the library's own layers, one layer at a
time exactly as `Sequential` does, and records what each call returned: the pre-activations
a, the activations h and y, the loss, ∂L/∂y, every δ and every ∂L/∂w and ∂L/∂b (read from
the ``dW`` and ``db`` that ``Dense.backward`` stored). The numbers are therefore the
library's gradients, not a re-derivation of them. Each `Step` carries its symbol in the
derivation's notation, the formula it applies, its value and the library call that computed
it, so a command line, a notebook or the docs can render it as they like.

The notation is the derivation's: for a network with one hidden layer the weights are w and
u, the hidden activation is h, and the biases are b⁽¹⁾ and b⁽²⁾; deeper networks number
every layer, W⁽ℓ⁾, b⁽ℓ⁾, a⁽ℓ⁾, h⁽ℓ⁾. So are the indices: with one hidden layer, i counts the
inputs, j the hidden units and k the outputs, wᵢⱼ and uⱼₖ, in every formula (as on the
derivation page, in the worked example and in `layerkit.draw`); in a network of another
depth, i counts a layer's inputs, j its units and k the units of the layer above.

Examples
--------
>>> from layerkit.explain import explain, worked_example
>>> net, x, t = worked_example()
>>> explanation = explain(net, x, t)
>>> step = explanation["δ⁽¹⁾"]
>>> step.formula
'δ⁽¹⁾ⱼ = hⱼ(1 − hⱼ) Σₖ δ⁽²⁾ₖ uⱼₖ'
>>> explanation["δ⁽²⁾"].formula
'δ⁽²⁾ₖ = (yₖ − tₖ) yₖ(1 − yₖ)'
>>> [round(float(v), 6) for v in explanation["y"].value]
[0.716585, 0.615566]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from .activation import Activation
from .dense import Dense
from .errors import ConfigurationError, ShapeError
from .l2loss import L2Loss
from .layer import Layer
from .loss import Loss
from .registry import registered_name
from .sequential import Sequential
from .serialization import iter_layers
from .sigmoid import Sigmoid
from .validation import Array

__all__ = ["WORKED_EXAMPLE", "Explanation", "Phase", "Step", "explain", "worked_example"]

Phase = Literal["given", "forward", "backward"]

WORKED_EXAMPLE: dict[str, tuple[Any, ...]] = {
    "x": (0.05, 0.10),
    "t": (0.01, 0.99),
    "w": ((0.15, 0.25, 0.35), (0.20, 0.30, 0.40)),
    "b1": (0.35, 0.30, 0.25),
    "u": ((0.40, -0.50), (0.45, 0.55), (-0.30, 0.60)),
    "b2": (0.60, 0.10),
}
"""The fixed numbers of the derivation's worked example: input, target, weights and biases.

``w[i][j]`` connects input i to hidden unit j, ``u[j][k]`` hidden unit j to output k.
"""


@dataclass(frozen=True)
class Step:
    """One computed quantity: what it is called, how it is computed, and its value."""

    phase: Phase
    """``"given"`` (input, target, parameters), ``"forward"`` or ``"backward"``."""
    symbol: str
    """The quantity in the derivation's notation, e.g. ``"a⁽¹⁾"``, ``"δ⁽²⁾"``, ``"∂L/∂u"``."""
    formula: str
    """The formula it applies, one component at a time where that reads best."""
    value: Array
    """Its value: a vector for one sample's quantities, a matrix for weights, a 0-d loss."""
    source: str
    """The library call that computed it, e.g. ``"Dense.backward → dW"``."""
    layer: int | None = None
    """Position of the layer that computed it in the (flattened) network, if any."""

    def to_dict(self) -> dict[str, Any]:
        """The step as JSON-ready data, the value as nested lists of floats."""
        return {
            "phase": self.phase,
            "symbol": self.symbol,
            "formula": self.formula,
            "source": self.source,
            "layer": self.layer,
            "shape": list(self.value.shape),
            "value": self.value.tolist(),
        }


@dataclass(frozen=True)
class Explanation:
    """The steps of one forward and backward pass, in the order the library computed them."""

    steps: tuple[Step, ...]
    loss: float
    """The loss L of the sample."""

    def __getitem__(self, symbol: str) -> Step:
        """The step whose symbol is ``symbol``, e.g. ``explanation["δ⁽¹⁾"]``."""
        for step in self.steps:
            if step.symbol == symbol:
                return step
        raise KeyError(f"no step {symbol!r}; steps: {', '.join(s.symbol for s in self.steps)}")

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def phase(self, phase: Phase) -> list[Step]:
        """The steps of one phase."""
        return [step for step in self.steps if step.phase == phase]

    def to_dict(self) -> dict[str, Any]:
        """The explanation as JSON-ready data."""
        return {"loss": self.loss, "steps": [step.to_dict() for step in self.steps]}

    def _repr_html_(self) -> str:
        """Jupyter shows an explanation as its interactive drawing (`explanation_html`)."""
        from .explain_html import explanation_html  # imported here: it imports this module

        return explanation_html(self)


def worked_example() -> tuple[Sequential, Array, Array]:
    """Return the derivation's 2-3-2 sigmoid network with its fixed weights, and ``x``, ``t``.

    Examples
    --------
    >>> from layerkit.explain import worked_example
    >>> net, x, t = worked_example()
    >>> net[0].W.shape, x, t
    ((2, 3), array([0.05, 0.1 ]), array([0.01, 0.99]))
    """
    e = WORKED_EXAMPLE
    net = Sequential(
        Dense(2, 3, W=e["w"], b=e["b1"]),
        Sigmoid(),
        Dense(3, 2, W=e["u"], b=e["b2"]),
        Sigmoid(),
    )
    return net, np.array(e["x"]), np.array(e["t"])


# ---------------------------------------------------------------------------- notation
_SUPERSCRIPT = str.maketrans("0123456789+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻")
_PLAIN = {"ᵢ": "i", "ⱼ": "j", "ₖ": "k"}


def _sup(number: int | str) -> str:
    """``_sup(2)`` is ``"⁽²⁾"``, the layer superscript."""
    return f"⁽{str(number).translate(_SUPERSCRIPT)}⁾"


@dataclass(frozen=True)
class _Stage:
    """One Dense layer and the activation after it (if any), with their symbols."""

    number: int  # ℓ, from 1
    dense: Dense
    dense_position: int
    activation: Layer | None
    activation_position: int | None
    weight: str  # "w", "u" or "W⁽ℓ⁾"
    bias: str  # "b⁽ℓ⁾"
    pre: str  # "a⁽ℓ⁾"
    input: str  # "x", "h", "h⁽ℓ⁻¹⁾"
    output: str  # "h", "h⁽ℓ⁾" or "y"
    i: str  # the index of the layer's inputs: "ᵢ" ("ⱼ" for u, which starts at hidden unit j)
    j: str  # the index of its units: "ⱼ" ("ₖ" for u, which ends at output k)


def _stages(model: Layer, user: str = "explain") -> list[_Stage]:
    """Split the network into Dense layers, each followed by at most one activation.

    ``user`` names the function in the error for a network of another structure.
    """
    groups: list[list[tuple[int, Layer]]] = []
    for position, layer in enumerate(iter_layers(model)):
        if isinstance(layer, Dense):
            groups.append([(position, layer)])
        elif groups and len(groups[-1]) == 1:
            groups[-1].append((position, layer))
        else:
            where = "before the first Dense layer" if not groups else "after another activation"
            raise ConfigurationError(
                f"{user} expects Dense layers, each followed by at most one activation; got "
                f"{layer!r} at position {position}, {where}"
            )
    if not groups:
        raise ConfigurationError(f"{user} expects a network with a Dense layer, got {model!r}")
    depth = len(groups)
    stages = []
    for number, group in enumerate(groups, start=1):
        (dense_position, dense), *rest = group
        activation_position, activation = rest[0] if rest else (None, None)
        weight = ("w", "u")[number - 1] if depth == 2 else f"W{_sup(number)}"
        hidden = "h" if depth == 2 else f"h{_sup(number)}"
        stages.append(
            _Stage(
                number=number,
                dense=dense,  # type: ignore[arg-type]
                dense_position=dense_position,
                activation=activation,
                activation_position=activation_position,
                weight=weight,
                bias=f"b{_sup(number)}",
                pre=f"a{_sup(number)}",
                input="x" if number == 1 else stages[-1].output,
                output="y" if number == depth else hidden,
                # One lettering for the derivation's network: x_i, h_j, y_k, w_ij, u_jk.
                i="ⱼ" if depth == 2 and number == 2 else "ᵢ",
                j="ₖ" if depth == 2 and number == 2 else "ⱼ",
            )
        )
    return stages


def _name(thing: Layer | Loss) -> str:
    """The registered name of an activation or loss, else its class name."""
    return registered_name(thing) or type(thing).__name__


def _elementwise(layer: Layer) -> bool:
    """Whether ``layer`` is an `Activation` using the shared elementwise ``backward``."""
    return isinstance(layer, Activation) and type(layer).backward is Activation.backward


# ----------------------------------------------------------------------------- explain
def explain(model: Layer, x: ArrayLike, t: ArrayLike, loss: Loss | None = None) -> Explanation:
    """Run one sample forward and backward through ``model`` and record every step.

    The layers compute everything: this function only calls their ``forward`` and
    ``backward`` in the order `Sequential` would and keeps what they return (and the
    ``dW``/``db`` that ``Dense.backward`` stores). It overwrites the model's gradients, as any
    backward pass does, and leaves its parameters unchanged.

    Parameters
    ----------
    model
        Dense layers, each followed by at most one activation (any registered one, or none
        for a linear layer), in a `Sequential` that may be nested.
    x
        One sample: shape ``(inputs,)`` or ``(1, inputs)``.
    t
        Its target: shape ``(outputs,)`` or ``(1, outputs)``, or a 0-d integer class label for
        a loss that takes labels.
    loss
        The loss; `L2Loss` (the derivation's) when omitted.

    Returns
    -------
    Explanation
        The given numbers, then the forward steps, then the backward steps.

    Raises
    ------
    ConfigurationError
        When the network has another structure (two activations in a row, say).
    ShapeError
        When ``x`` or ``t`` is not one sample.
    """
    loss = L2Loss() if loss is None else loss
    stages = _stages(model)
    x_batch = _one_sample(x, "input x")
    t_array = np.asarray(t)
    if t_array.ndim == 0:
        t_batch = t_array[None]  # a class label
    else:
        t_batch = _one_sample(t_array, "target t")
    steps: list[Step] = [
        Step("given", "x", "x: the input sample", np.array(x_batch[0]), "given"),
        Step("given", "t", "t: its target", np.array(t_batch[0]), "given"),
    ]
    for stage in stages:
        steps.append(
            Step(
                "given",
                stage.weight,
                f"{stage.weight}{stage.i}{stage.j} connects {stage.input}{stage.i} to "
                f"{stage.pre}{stage.j}",
                stage.dense.W.copy(),
                f"Dense.W of layer {stage.dense_position}",
                stage.dense_position,
            )
        )
        steps.append(
            Step(
                "given",
                stage.bias,
                f"{stage.bias}{stage.j}: the bias of unit {_PLAIN[stage.j]}",
                stage.dense.b.copy(),
                f"Dense.b of layer {stage.dense_position}",
                stage.dense_position,
            )
        )

    signal = x_batch
    for stage in stages:
        signal = stage.dense.forward(signal)
        symbol = stage.pre if stage.activation is not None else stage.output
        prefix = "" if stage.activation is not None else f"{stage.output}{stage.j} = "
        steps.append(
            Step(
                "forward",
                symbol,
                f"{prefix}{stage.pre}{stage.j} = Σ{stage.i} {stage.input}{stage.i} "
                f"{stage.weight}{stage.i}{stage.j} + {stage.bias}{stage.j}",
                signal[0].copy(),
                "Dense.forward",
                stage.dense_position,
            )
        )
        if stage.activation is not None:
            signal = stage.activation.forward(signal)
            steps.append(
                Step(
                    "forward",
                    stage.output,
                    _activation_formula(stage),
                    signal[0].copy(),
                    f"{type(stage.activation).__name__}.forward",
                    stage.activation_position,
                )
            )
    value = loss.forward(signal, t_batch)
    k = stages[-1].j  # the index of the outputs
    steps.append(
        Step(
            "forward",
            "L",
            f"L = ½ Σ{k} (y{k} − t{k})²" if type(loss) is L2Loss else f"L = {_name(loss)}(y, t)",
            np.array(value),
            f"{type(loss).__name__}.forward",
        )
    )

    gradient = loss.backward()
    steps.append(
        Step(
            "backward",
            "∂L/∂y",
            f"∂L/∂y{k} = y{k} − t{k}"
            if type(loss) is L2Loss
            else f"∂L/∂y = ∂{_name(loss)}(y, t)/∂y",
            gradient[0].copy(),
            f"{type(loss).__name__}.backward",
        )
    )
    for index in range(len(stages) - 1, -1, -1):
        stage = stages[index]
        above = stages[index + 1] if index + 1 < len(stages) else None
        delta_symbol = f"δ{_sup(stage.number)}"
        if stage.activation is not None:
            gradient = stage.activation.backward(gradient)
            steps.append(
                Step(
                    "backward",
                    delta_symbol,
                    _delta_formula(stage, above, loss),
                    gradient[0].copy(),
                    f"{type(stage.activation).__name__}.backward",
                    stage.activation_position,
                )
            )
            steps.extend(_other_parameters(stage))
        else:
            steps.append(
                Step(
                    "backward",
                    delta_symbol,
                    f"{delta_symbol} = ∂L/∂{stage.output} (a linear layer: "
                    f"{stage.output} = {stage.pre})",
                    gradient[0].copy(),
                    "(no activation)",
                    stage.dense_position,
                )
            )
        gradient = stage.dense.backward(gradient)
        source = f"Dense.backward of layer {stage.dense_position}"
        steps.append(
            Step(
                "backward",
                f"∂L/∂{stage.weight}",
                f"∂L/∂{stage.weight}{stage.i}{stage.j} = {stage.input}{stage.i} "
                f"{delta_symbol}{stage.j}",
                stage.dense.dW.copy(),
                f"{source} → dW",
                stage.dense_position,
            )
        )
        steps.append(
            Step(
                "backward",
                f"∂L/∂{stage.bias}",
                f"∂L/∂{stage.bias}{stage.j} = {delta_symbol}{stage.j}",
                stage.dense.db.copy(),
                f"{source} → db",
                stage.dense_position,
            )
        )
        below = stage.input
        steps.append(
            Step(
                "backward",
                f"∂L/∂{below}",
                f"∂L/∂{below}{stage.i} = Σ{stage.j} {delta_symbol}{stage.j} "
                f"{stage.weight}{stage.i}{stage.j}",
                gradient[0].copy(),
                f"{source} (returned)",
                stage.dense_position,
            )
        )
    return Explanation(tuple(steps), value)


def _one_sample(value: ArrayLike, what: str) -> Array:
    array = np.asarray(value)
    if array.ndim == 1:
        return array[None, :]
    if array.ndim == 2 and array.shape[0] == 1:
        return array
    raise ShapeError(
        f"explain expects one sample: {what} of shape (n,) or (1, n), got shape {array.shape}"
    )


def _activation_formula(stage: _Stage) -> str:
    activation = stage.activation
    assert activation is not None
    j = stage.j
    if type(activation) is Sigmoid:
        return f"{stage.output}{j} = σ({stage.pre}{j})"
    name = _name(activation)
    if _elementwise(activation):
        return f"{stage.output}{j} = {name}({stage.pre}{j})"
    return f"{stage.output} = {name}({stage.pre})"


def _delta_formula(stage: _Stage, above: _Stage | None, loss: Loss) -> str:
    """The formula of δ⁽ℓ⁾ = ∂L/∂a⁽ℓ⁾ for a stage with an activation."""
    activation = stage.activation
    assert activation is not None
    delta = f"δ{_sup(stage.number)}"
    out, j = stage.output, stage.j
    if above is None:
        incoming_j = f"(y{j} − t{j})" if type(loss) is L2Loss else f"∂L/∂y{j}"
        incoming = "∂L/∂y"
    else:
        k = above.j if above.j != j else "ₖ"  # the units of the layer above
        incoming_j = f"Σ{k} δ{_sup(above.number)}{k} {above.weight}{j}{k}"
        incoming = f"(δ{_sup(above.number)} {above.weight}ᵀ)"
    if type(activation) is Sigmoid:
        derivative = f"{out}{j}(1 − {out}{j})"
        if above is None:
            times = " " if type(loss) is L2Loss else " · "
            return f"{delta}{j} = {incoming_j}{times}{derivative}"
        return f"{delta}{j} = {derivative} {incoming_j}"
    name = _name(activation)
    if _elementwise(activation):
        return f"{delta} = φ'({stage.pre}) ⊙ {incoming}, φ = {name}"
    return f"{delta} = {incoming} · ∂{out}/∂{stage.pre} (the Jacobian of {name})"


def _other_parameters(stage: _Stage) -> list[Step]:
    """Gradients of an activation's own parameters (a learnable slope, say), if it has any."""
    activation = stage.activation
    assert activation is not None
    return [
        Step(
            "backward",
            f"∂L/∂{parameter.name}{_sup(stage.number)}",
            f"∂L/∂{parameter.name}{_sup(stage.number)}, from {_name(activation)}.backward",
            parameter.grad.copy(),
            f"{type(activation).__name__}.backward → d{parameter.name}",
            stage.activation_position,
        )
        for parameter in activation.parameters()
    ]
