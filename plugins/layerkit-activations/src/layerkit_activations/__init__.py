"""layerkit-activations: more activations for layerkit, registered as a plugin.

Installing this package makes these names available to `layerkit.activation`:

============== ============= ==========================================
name           class         options
============== ============= ==========================================
``tanh``       `Tanh`
``relu``       `ReLU`
``leaky_relu`` `LeakyReLU`   ``slope=0.01``
``softplus``   `Softplus`
``elu``        `ELU`         ``alpha=1.0``
``gelu``       `GELU`        (tanh approximation)
``softmax``    `Softmax`     (over the last axis)
============== ============= ==========================================

layerkit finds this module through the entry point in ``pyproject.toml``:

```toml
[project.entry-points.layerkit]
activations = "layerkit_activations"
```

and calls the ``@layerkit.hookimpl`` functions below: one registers each class by name, the
other writes each class into an ONNX graph for `layerkit.export_onnx` (see
`layerkit_activations.onnx_nodes`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import layerkit
from layerkit.hookspecs import Register

from . import onnx_nodes
from .elu import ELU
from .gelu import GELU
from .relu import LeakyReLU, ReLU
from .softmax import Softmax
from .softplus import Softplus
from .tanh import Tanh

if TYPE_CHECKING:
    from layerkit.onnx_export import OnnxGraph

__all__ = ["ELU", "GELU", "LeakyReLU", "ReLU", "Softmax", "Softplus", "Tanh"]


@layerkit.hookimpl
def register_activations(register: Register) -> None:
    """Register tanh, relu, leaky_relu, softplus, elu, gelu and softmax."""
    register("tanh", Tanh)
    register("relu", ReLU)
    register("leaky_relu", LeakyReLU)
    register("softplus", Softplus)
    register("elu", ELU)
    register("gelu", GELU)
    register("softmax", Softmax)


@layerkit.hookimpl
def export_onnx_nodes(component: layerkit.Layer, graph: OnnxGraph, input_name: str) -> str | None:
    """Write this package's activations into an ONNX graph; ``None`` for any other component."""
    return onnx_nodes.add_nodes(component, graph, input_name)
