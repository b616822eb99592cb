"""Finding activations and losses by name: the pluggy host side of layerkit.

Components come from plugins: the built-ins in ``layerkit.default_plugins``, packages
installed with an entry point in the group ``layerkit``, and plugin objects registered at run
time with ``plugin_manager().register(obj, name=...)``. Every lookup asks the plugins anew,
so a plugin registered at run time is seen at once.

Two environment variables control loading from installed packages:

``LAYERKIT_DISABLE_PLUGIN_AUTOLOAD``
    When set to anything but ``""``/``"0"``, no entry point is loaded (only the built-ins).
``LAYERKIT_LOAD_PLUGINS``
    A comma-separated allow-list of entry-point or distribution names to load; unset loads
    all, ``""`` loads none.
"""

from __future__ import annotations

import difflib
import importlib.metadata
import os
import re
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import pluggy

from . import default_plugins, hookspecs
from .errors import PluginError, UnknownComponentError
from .layer import Layer
from .loss import Loss

__all__ = [
    "AUTOLOAD_ENV",
    "LOAD_ENV",
    "Component",
    "PluginWarning",
    "activation",
    "activations",
    "failed_plugins",
    "loss",
    "losses",
    "plugin_manager",
    "reset_plugin_manager",
]

AUTOLOAD_ENV = "LAYERKIT_DISABLE_PLUGIN_AUTOLOAD"
LOAD_ENV = "LAYERKIT_LOAD_PLUGINS"
BUILTIN = "layerkit"
"""The plugin name of the built-in components."""

Kind = Literal["activation", "loss"]
_BASES: dict[Kind, type] = {"activation": Layer, "loss": Loss}
_HOOKS: dict[Kind, str] = {"activation": "register_activations", "loss": "register_losses"}
_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")


class PluginWarning(UserWarning):
    """A plugin could not be loaded; layerkit carries on without it."""


@dataclass(frozen=True)
class Component:
    """A registered activation or loss: its name, its class and where it came from."""

    name: str
    cls: type
    kind: Kind
    plugin: str
    """The name the plugin is registered under (``"layerkit"`` for the built-ins)."""
    distribution: str | None = None
    """The installed distribution that provides the plugin, if it came from one."""
    version: str | None = None
    """That distribution's version."""


_manager: pluggy.PluginManager | None = None
_distributions: dict[str, tuple[str, str]] = {}
_failures: dict[str, str] = {}


def plugin_manager() -> pluggy.PluginManager:
    """Return the `pluggy.PluginManager` holding every plugin, loading them on first use."""
    global _manager
    if _manager is None:
        manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        manager.add_hookspecs(hookspecs)
        manager.register(default_plugins, name=BUILTIN)
        _load_entry_points(manager)
        _manager = manager
    return _manager


def reset_plugin_manager() -> None:
    """Forget every loaded plugin; the next lookup loads them again (used by tests)."""
    global _manager
    _manager = None
    _distributions.clear()
    _failures.clear()


def failed_plugins() -> dict[str, str]:
    """Return the plugins that failed to load, each with the reason."""
    plugin_manager()
    return dict(_failures)


def _load_entry_points(manager: pluggy.PluginManager) -> None:
    if os.environ.get(AUTOLOAD_ENV, "") not in ("", "0"):
        return
    allowed = os.environ.get(LOAD_ENV)
    allow = None if allowed is None else {n.strip() for n in allowed.split(",") if n.strip()}
    for distribution in importlib.metadata.distributions():
        project = distribution.metadata["name"]
        for entry_point in distribution.entry_points:
            if entry_point.group != hookspecs.PROJECT_NAME:
                continue
            name = entry_point.name
            if allow is not None and name not in allow and project not in allow:
                continue
            if manager.get_plugin(name) is not None or manager.is_blocked(name):
                continue
            where = f"plugin {name!r} from distribution {project} {distribution.version}"
            try:
                plugin = entry_point.load()
                manager.register(plugin, name=name)
                manager.check_pending()  # a misspelled hook name is caught here
            except Exception as error:
                if manager.get_plugin(name) is not None:
                    manager.unregister(name=name)
                _failures[name] = f"{where} failed to load: {type(error).__name__}: {error}"
                warnings.warn(_failures[name], PluginWarning, stacklevel=3)
                continue
            _distributions[name] = (project, distribution.version)


def _collect(kind: Kind) -> dict[str, Component]:
    """Ask every plugin to register its components of ``kind``; refuse duplicates."""
    manager = plugin_manager()
    found: dict[str, Component] = {}
    base = _BASES[kind]
    for implementation in getattr(manager.hook, _HOOKS[kind]).get_hookimpls():
        plugin = implementation.plugin_name

        def register(name: str, cls: type, plugin: str = plugin) -> None:
            if not isinstance(name, str) or not _NAME.match(name):
                raise PluginError(
                    f"plugin {plugin!r} registered {kind} name {name!r}; names are lower-case "
                    f"identifiers such as 'leaky_relu'"
                )
            if not (isinstance(cls, type) and issubclass(cls, base)):
                raise PluginError(
                    f"plugin {plugin!r} registered {kind} {name!r} as {cls!r}, which is not a "
                    f"subclass of layerkit.{base.__name__}"
                )
            if name in found:
                raise PluginError(
                    f"{kind} {name!r} is registered by two plugins, {found[name].plugin!r} and "
                    f"{plugin!r}; uninstall one, or choose with {LOAD_ENV}"
                )
            distribution, version = _distributions.get(plugin, (None, None))
            found[name] = Component(name, cls, kind, plugin, distribution, version)

        try:
            implementation.function(register=register)
        except PluginError:
            raise
        except Exception as error:
            raise PluginError(
                f"plugin {plugin!r} raised {type(error).__name__} in {_HOOKS[kind]}: {error}"
            ) from error
    return found


def activations() -> dict[str, Component]:
    """Return every registered activation: name → `Component` (class and providing plugin)."""
    return _collect("activation")


def losses() -> dict[str, Component]:
    """Return every registered loss: name → `Component` (class and providing plugin)."""
    return _collect("loss")


def activation(name: str, **options: Any) -> Layer:
    """Return a new instance of the activation registered as ``name``.

    Examples
    --------
    >>> activation("sigmoid")
    Sigmoid()
    """
    return _build(_find("activation", name), options)


def loss(name: str, **options: Any) -> Loss:
    """Return a new instance of the loss registered as ``name``.

    Examples
    --------
    >>> loss("l2", reduction="sum")
    L2Loss(reduction='sum')
    """
    return _build(_find("loss", name), options)


def _find(kind: Kind, name: str) -> Component:
    registered = _collect(kind)
    if name in registered:
        return registered[name]
    close = difflib.get_close_matches(str(name), registered, n=1)
    suggestion = f" Did you mean {close[0]!r}?" if close else ""
    raise UnknownComponentError(
        f"no {kind} named {name!r}.{suggestion} Available: {', '.join(sorted(registered))}. "
        f"A plugin may provide more: install a package that registers it under the "
        f"'layerkit' entry-point group (see `layerkit plugins`)."
    )


def _build(component: Component, options: dict[str, Any]) -> Any:
    try:
        return component.cls(**options)
    except TypeError as error:
        error.add_note(
            f"while building {component.kind} {component.name!r} from plugin "
            f"{component.plugin!r} with options {options}"
        )
        raise
