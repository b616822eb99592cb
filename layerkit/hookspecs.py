"""The hooks a layerkit plugin implements, and the markers to implement them with.

A plugin is a module (or any object) with functions marked ``@layerkit.hookimpl`` whose
names are the hooks below. Each hook receives a ``register`` callback; the plugin calls it
once per component it provides:

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
"""

from __future__ import annotations

from collections.abc import Callable

import pluggy

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
