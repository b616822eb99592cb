"""The ONNX nodes of the built-in layers: `Dense`, `Sigmoid` and `Sequential`.

The built-in plugin (`layerkit.default_plugins`) provides them through the hook
``export_onnx_nodes``, as any plugin provides its own; `layerkit.export_onnx` calls it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .dense import Dense
from .layer import Layer
from .sequential import Sequential
from .sigmoid import Sigmoid

if TYPE_CHECKING:
    from .onnx_export import OnnxGraph

__all__ = ["builtin_nodes"]


def builtin_nodes(component: Layer, graph: OnnxGraph, input_name: str) -> str | None:
    """Add the nodes of a built-in layer; return their output, or ``None`` for another class."""
    kind = type(component)  # a subclass may compute something else: it exports itself
    if kind is Dense:
        W = graph.add_initializer("W", component.W.astype(graph.dtype))  # type: ignore[attr-defined]
        b = graph.add_initializer("b", component.b.astype(graph.dtype))  # type: ignore[attr-defined]
        return graph.add_node("Gemm", [input_name, W, b])  # a = x W + b, W (in × out)
    if kind is Sigmoid:
        return graph.add_node("Sigmoid", [input_name])
    if kind is Sequential:
        for layer in component:  # type: ignore[attr-defined]
            input_name = graph.add_component(layer, input_name)
        return input_name
    return None
