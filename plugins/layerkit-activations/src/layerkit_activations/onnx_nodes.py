"""The ONNX nodes of this package's activations, for `layerkit.export_onnx`.

Each activation is written with standard operators that ONNX Runtime computes in float32
and in float64, following the formula of its ``function`` so that the exported model agrees
with layerkit to rounding. Where ONNX has an operator only for float32 (``Elu``,
``Softplus``) or holds an option only as a float32 attribute (``LeakyRelu``'s ``alpha``),
the formula is written out with elementary operators and the option as a constant input;
``log1p`` and ``expm1``, which ONNX lacks, are written with Kahan's formulas, exact to a few
rounding errors where ``log(1 + x)`` and ``exp(x) − 1`` lose every digit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from layerkit import Layer
from layerkit.errors import ExportError

from ._options import FLOAT32_MAX
from .elu import ELU
from .gelu import _A, _C, _SATURATED, GELU
from .relu import LeakyReLU, ReLU
from .softmax import Softmax
from .softplus import Softplus
from .tanh import Tanh

if TYPE_CHECKING:
    from layerkit.onnx_export import OnnxGraph

__all__ = ["add_nodes"]

_EXPM1_FLOOR = -40.0  # expm1(−40) is −1 to within float64's precision; exp stays above 0


def add_nodes(component: Layer, graph: OnnxGraph, input_name: str) -> str | None:
    """Add the nodes of one of this package's activations; ``None`` for any other class."""
    write = _WRITERS.get(type(component))  # a subclass may compute something else
    return None if write is None else write(component, graph, input_name)


def _tanh(component: Layer, graph: OnnxGraph, x: str) -> str:
    return graph.add_node("Tanh", [x])


def _relu(component: Layer, graph: OnnxGraph, x: str) -> str:
    return graph.add_node("Relu", [x])


def _leaky_relu(component: Layer, graph: OnnxGraph, x: str) -> str:
    # PRelu takes the slope as a tensor, which keeps a float64 slope's digits
    slope = _option(component, graph, "slope")
    return graph.add_node("PRelu", [x, graph.constant([slope], "slope")])


def _softmax(component: Layer, graph: OnnxGraph, x: str) -> str:
    return graph.add_node("Softmax", [x], axis=-1)  # over the last axis, as Softmax.forward


def _softplus(component: Layer, graph: OnnxGraph, x: str) -> str:
    # log(1 + eˣ) = log1p(e^(−|x|)) + max(x, 0), as Softplus.function
    e = graph.add_node("Exp", [graph.add_node("Neg", [graph.add_node("Abs", [x])])])
    return graph.add_node("Add", [_log1p(graph, e), graph.add_node("Relu", [x])])


def _elu(component: Layer, graph: OnnxGraph, x: str) -> str:
    # max(x, 0) + α expm1(min(x, 0)): x where x > 0 (expm1(0) = 0), else α (eˣ − 1)
    alpha = graph.constant(_option(component, graph, "alpha"), "alpha")
    low = graph.add_node(
        "Clip", [x, graph.constant(_EXPM1_FLOOR, "floor"), graph.constant(0.0, "zero")]
    )
    negative = graph.add_node("Mul", [alpha, _expm1(graph, low)])
    return graph.add_node("Add", [graph.add_node("Relu", [x]), negative])


def _gelu(component: Layer, graph: OnnxGraph, x: str) -> str:
    # x σ(2u), u = √(2/π) (x + 0.044715 x³) with x taken within ±30, as GELU.function
    # (ONNX's own Gelu needs opset 20)
    near = graph.add_node(
        "Clip", [x, graph.constant(-_SATURATED, "low"), graph.constant(_SATURATED, "high")]
    )
    cube = graph.add_node("Mul", [graph.constant(_A, "a"), near])  # ((a x) x) x, as NumPy does
    cube = graph.add_node("Mul", [cube, near])
    cube = graph.add_node("Mul", [cube, near])
    inner = graph.add_node("Add", [near, cube])
    two_u = graph.add_node("Mul", [graph.constant(2.0 * _C, "two_c"), inner])
    # σ(2u) as GELU computes it, not ONNX Runtime's Sigmoid, whose float32 kernel stops at
    # −18 and returns σ(−30) in float64 to three digits: e = e^(−|2u|), σ = (1 or e) / (1 + e)
    e = graph.add_node("Exp", [graph.add_node("Neg", [graph.add_node("Abs", [two_u])])])
    positive = graph.add_node("GreaterOrEqual", [two_u, graph.constant(0.0, "zero")])
    numerator = graph.add_node("Where", [positive, graph.constant(1.0, "one"), e])
    sigmoid = graph.add_node(
        "Div", [numerator, graph.add_node("Add", [graph.constant(1.0, "one"), e])]
    )
    return graph.add_node("Mul", [x, sigmoid])


def _log1p(graph: OnnxGraph, e: str) -> str:
    """log(1 + e) for e >= 0 as e · log(u) / (u − 1), u = 1 + e (Kahan); e where u = 1."""
    u = graph.add_node("Add", [graph.constant(1.0, "one"), e])
    d = graph.add_node("Sub", [u, graph.constant(1.0, "one")])
    ratio = graph.add_node("Div", [graph.add_node("Log", [u]), d])
    tiny = graph.add_node("Equal", [d, graph.constant(0.0, "zero")])
    return graph.add_node("Where", [tiny, e, graph.add_node("Mul", [e, ratio])])


def _expm1(graph: OnnxGraph, m: str) -> str:
    """eᵐ − 1 for m <= 0 as (u − 1) · m / log(u), u = eᵐ (Kahan); m where u = 1."""
    u = graph.add_node("Exp", [m])
    d = graph.add_node("Sub", [u, graph.constant(1.0, "one")])
    ratio = graph.add_node("Div", [m, graph.add_node("Log", [u])])
    tiny = graph.add_node("Equal", [d, graph.constant(0.0, "zero")])
    return graph.add_node("Where", [tiny, m, graph.add_node("Mul", [d, ratio])])


def _option(component: Layer, graph: OnnxGraph, name: str) -> float:
    """The option ``name`` of ``component``, refused beyond float32's range in float32."""
    value = float(getattr(component, name))
    if graph.dtype == np.float32 and value > FLOAT32_MAX:
        raise ExportError(
            f"cannot export {component!r} to a float32 ONNX graph: {name}={value!r} is beyond "
            f"float32's largest number ({FLOAT32_MAX:.4g}); convert the model to float64 first"
        )
    return value


_WRITERS: dict[type, Callable[[Layer, OnnxGraph, str], str]] = {
    Tanh: _tanh,
    ReLU: _relu,
    LeakyReLU: _leaky_relu,
    Softmax: _softmax,
    Softplus: _softplus,
    ELU: _elu,
    GELU: _gelu,
}
