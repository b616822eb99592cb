"""The hooks a layerkit plugin implements, and the markers to implement them with.

A plugin is a module (or any object) with functions marked ``@layerkit.hookimpl`` whose
names are the hooks below. Each ``register_*`` hook receives a ``register`` callback; the
plugin calls it once per component it provides:

~~~python
import layerkit
from layerkit_activations import Tanh


@layerkit.hookimpl
def register_activations(register):
    register("tanh", Tanh)
~~~

Installed packages are found through the entry-point group ``layerkit``; see
[Writing a plugin](../plugins.md). A hook that raises or registers anything invalid sets its
plugin aside for that kind, and a name two plugins register is set aside; layerkit itself
keeps working (see [When a plugin is broken](../plugins.md#when-a-plugin-is-broken)).

One more hook, ``export_onnx_nodes``, lets a plugin say how its own components are written
into an ONNX graph by `layerkit.export_onnx` (see
[ONNX nodes for your components](../plugins.md#onnx-nodes-for-your-components)).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .layer import Layer
    from .onnx_export import OnnxGraph

__all__ = ["PROJECT_NAME", "Register", "hookimpl", "hookspec"]

PROJECT_NAME = "layerkit"
"""The pluggy project name, which is also the entry-point group plugins are found under."""

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

Register = Callable[[str, type], None]
"""``register(name, cls)``: a lower-case identifier and the component class it names.

Call it only while your hook runs, once per name; the hook itself returns ``None``.
"""


@hookspec
def register_activations(register: Register) -> None:
    """Register activation classes (subclasses of `layerkit.Activation` or `layerkit.Layer`)."""


@hookspec
def register_losses(register: Register) -> None:
    """Register loss classes (subclasses of `layerkit.Loss`)."""


@hookspec
def register_optimizers(register: Register) -> None:
    """Register optimizer classes (subclasses of `layerkit.Optimizer`)."""


@hookspec
def register_initializers(register: Register) -> None:
    """Register weight initializer classes (subclasses of `layerkit.Initializer`)."""


@hookspec
def register_metrics(register: Register) -> None:
    """Register metric classes (subclasses of `layerkit.Metric`)."""


@hookspec(firstresult=True)
def export_onnx_nodes(component: Layer, graph: OnnxGraph, input_name: str) -> str | None:
    """Add the ONNX nodes that compute ``component`` to ``graph``; return their output's name.

    Called by `layerkit.export_onnx` for each component of the model, with ``input_name``,
    the tensor holding the component's input (``(batch, features)`` of ``graph.dtype``).
    Return ``None``, adding nothing, for a component this plugin does not provide: the next
    plugin is asked (plugins registered later are asked first; the built-ins last). Check
    the exact class (``type(component) is MyLayer``): a subclass may compute something else.

    Raise `layerkit.errors.ExportError` to refuse an option of your component that ONNX
    cannot express; the export then fails with your message. Any other exception sets the
    plugin aside for the rest of that export, with a `layerkit.registry.PluginWarning`, and
    removes what it added.
    """
