"""Finding components by name: the pluggy host side of layerkit.

Five kinds of component are registered the same way: activations, losses, optimizers,
initializers and metrics.

Components come from plugins: the built-ins in ``layerkit.default_plugins``, packages
installed with an entry point in the group ``layerkit``, and plugin objects registered at run
time with ``plugin_manager().register(obj, name=...)``. Every lookup asks the plugins anew,
so a plugin registered at run time is seen at once.

A broken plugin cannot break the host. It is set aside (quarantined), reported by
`failed_plugins` and warned about once with a `PluginWarning`, and everything else keeps
working:

- a plugin whose import fails, even with ``sys.exit()``, is not loaded;
- a plugin whose hook raises, returns something, or registers anything invalid (a bad name,
  an instance, a function, a class of the wrong kind, one name twice) loses *all* its
  components of that kind, since keeping half of them would hide the bug;
- a name that two plugins register is set aside: its lookup fails naming both, and each
  plugin keeps its other components;
- a name of the built-in plugin ``"layerkit"`` (``"sigmoid"``, ``"l2"``) stays the built-in;
  another plugin's registration of it is ignored and reported.

Only ``KeyboardInterrupt`` (and ``os._exit``) from a plugin still ends the program.

Two environment variables control loading from installed packages:

``LAYERKIT_DISABLE_PLUGIN_AUTOLOAD``
    When set to anything but ``""``/``"0"``, no entry point is loaded (only the built-ins).
``LAYERKIT_LOAD_PLUGINS``
    A comma-separated allow-list of entry-point or distribution names to load; unset loads
    all, ``""`` loads none.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib.metadata
import inspect
import os
import re
import threading
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import pluggy

from . import default_plugins, hookspecs
from .errors import (
    ComponentTypeError,
    ConfigurationError,
    LayerkitError,
    PluginError,
    UnknownComponentError,
)
from .initializer import Initializer
from .install_hints import distribution_hint, first_party_provider
from .layer import Layer
from .loss import Loss
from .metric import Metric
from .optim import Optimizer

__all__ = [
    "AUTOLOAD_ENV",
    "LOAD_ENV",
    "Component",
    "PluginWarning",
    "activation",
    "activations",
    "failed_plugins",
    "initializer",
    "initializers",
    "loss",
    "losses",
    "metric",
    "metrics",
    "optimizer",
    "optimizers",
    "plugin_manager",
    "reset_plugin_manager",
]

AUTOLOAD_ENV = "LAYERKIT_DISABLE_PLUGIN_AUTOLOAD"
LOAD_ENV = "LAYERKIT_LOAD_PLUGINS"
BUILTIN = "layerkit"
"""The plugin name of the built-in components."""

Kind = Literal["activation", "loss", "optimizer", "initializer", "metric"]
_BASES: dict[Kind, type] = {
    "activation": Layer,
    "loss": Loss,
    "optimizer": Optimizer,
    "initializer": Initializer,
    "metric": Metric,
}
_HOOKS: dict[Kind, str] = {
    "activation": "register_activations",
    "loss": "register_losses",
    "optimizer": "register_optimizers",
    "initializer": "register_initializers",
    "metric": "register_metrics",
}
_EXAMPLES: dict[Kind, str] = {
    "activation": "sigmoid",
    "loss": "l2",
    "optimizer": "sgd",
    "initializer": "glorot_uniform",
    "metric": "accuracy",
}
_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
_SHOWN = 80  # characters of a plugin's value or message quoted in an error


class PluginWarning(UserWarning):
    """A plugin, or one name of it, was set aside; layerkit carries on without it.

    The message is one line; ``plugin`` is the name of the plugin it is about.
    """

    def __init__(self, message: str, plugin: str | None = None) -> None:
        super().__init__(message)
        self.plugin = plugin


@dataclass(frozen=True)
class Component:
    """A registered component (an activation, loss, optimizer, initializer or metric): its
    name, its class and where it came from."""

    name: str
    cls: type
    kind: Kind
    plugin: str
    """The name the plugin is registered under (``"layerkit"`` for the built-ins)."""
    distribution: str | None = None
    """The installed distribution that provides the plugin, if it came from one."""
    version: str | None = None
    """That distribution's version."""


@dataclass
class _Found:
    """What one round of asking every plugin for components of one kind gave."""

    components: dict[str, Component] = field(default_factory=dict)
    contested: dict[str, list[str]] = field(default_factory=dict)
    """Names registered by two or more plugins (not the built-in): name → those plugins."""
    failures: dict[str, list[str]] = field(default_factory=dict)
    """Plugin → why it, or one of its names, was set aside."""
    quarantined: dict[str, str] = field(default_factory=dict)
    """Name → the set-aside plugin that tried to register it."""


_manager: pluggy.PluginManager | None = None
_distributions: dict[str, tuple[str, str]] = {}
_load_failures: dict[str, str] = {}
_warned: set[str] = set()
_running = threading.local()  # the plugin hook this thread is running, if any


def plugin_manager() -> pluggy.PluginManager:
    """Return the `pluggy.PluginManager` holding every plugin, loading them on first use."""
    global _manager
    if _manager is None:
        manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        manager.add_hookspecs(hookspecs)
        manager.register(default_plugins, name=BUILTIN)
        _manager = manager  # a plugin that looks a component up while importing sees this one
        try:
            _load_entry_points(manager)
        except BaseException:  # KeyboardInterrupt: the next lookup starts again
            reset_plugin_manager()
            raise
        for plugin, reason in list(_load_failures.items()):
            _warn(plugin, reason)
        return manager  # even if a plugin reset the registry while it was imported
    return _manager


def reset_plugin_manager() -> None:
    """Forget every loaded plugin; the next lookup loads them again (used by tests)."""
    global _manager
    _manager = None
    _distributions.clear()
    _load_failures.clear()
    _warned.clear()


def failed_plugins() -> dict[str, str]:
    """Return the plugins that were set aside, each with the reason.

    A plugin is listed when it failed to load, when a hook of it raised or registered
    something invalid (it then provides nothing of that kind), or when a name it registers
    is also registered by another plugin (only that name is set aside).

    Examples
    --------
    >>> from layerkit import failed_plugins
    >>> failed_plugins()  # every installed plugin loaded and registered cleanly
    {}
    """
    plugin_manager()
    failures = dict(_load_failures)
    for kind in _HOOKS:
        for plugin, reasons in _collect(kind).failures.items():
            failures[plugin] = "; ".join(
                [failures[plugin], *reasons] if plugin in failures else reasons
            )
    return failures


def activations() -> dict[str, Component]:
    """Return every registered activation: name → `Component` (class and providing plugin).

    Never raises because of a plugin: a set-aside plugin's activations and a name two plugins
    register are left out, and `failed_plugins` says why. `losses`, `optimizers`,
    `initializers` and `metrics` do the same for their kinds.
    """
    return _collect("activation").components


def losses() -> dict[str, Component]:
    """Return every registered loss: name → `Component`; see `activations`."""
    return _collect("loss").components


def optimizers() -> dict[str, Component]:
    """Return every registered optimizer: name → `Component`; see `activations`."""
    return _collect("optimizer").components


def initializers() -> dict[str, Component]:
    """Return every registered weight initializer: name → `Component`; see `activations`."""
    return _collect("initializer").components


def metrics() -> dict[str, Component]:
    """Return every registered metric: name → `Component`; see `activations`."""
    return _collect("metric").components


def activation(name: str, **options: Any) -> Layer:
    """Return a new instance of the activation registered as ``name``.

    `loss`, `optimizer`, `initializer` and `metric` do the same for their kinds, with the
    same errors.

    Raises
    ------
    ComponentTypeError
        When ``name`` is not a string.
    UnknownComponentError
        When no plugin registers ``name`` (the message lists the registered names).
    PluginError
        When two plugins register ``name``: the message names both.
    ConfigurationError
        When the class refuses ``options``; the original error is chained. An error of
        layerkit's own (a `LayerkitError`) passes through with a note naming the component.

    Examples
    --------
    >>> from layerkit import activation
    >>> activation("sigmoid")
    Sigmoid()
    """
    return _build(_find("activation", name), options)


def loss(name: str, **options: Any) -> Loss:
    """Return a new instance of the loss registered as ``name``; see `activation`.

    Examples
    --------
    >>> from layerkit import loss
    >>> loss("l2", reduction="sum")
    L2Loss(reduction='sum')
    """
    return _build(_find("loss", name), options)


def optimizer(name: str, **options: Any) -> Optimizer:
    """Return a new instance of the optimizer registered as ``name``; see `activation`.

    Examples
    --------
    >>> from layerkit import optimizer
    >>> optimizer("sgd", lr=0.1)
    SGD(lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False)
    """
    return _build(_find("optimizer", name), options)


def initializer(name: str, **options: Any) -> Initializer:
    """Return a new instance of the weight initializer registered as ``name``; see `activation`."""
    return _build(_find("initializer", name), options)


def metric(name: str, **options: Any) -> Metric:
    """Return a new instance of the metric registered as ``name``; see `activation`."""
    return _build(_find("metric", name), options)


def registered_name(instance: object) -> str | None:
    """Return the name under which the class of ``instance`` is registered, or None.

    The first name in registration order wins when a class is registered under several
    (``"glorot"`` and ``"glorot_uniform"``); the built-in plugin's names come first.
    """
    for kind, base in _BASES.items():
        if isinstance(instance, base):
            for name, component in _collect(kind).components.items():
                if component.cls is type(instance):
                    return name
    return None


# ---------------------------------------------------------------------------- loading
def _load_entry_points(manager: pluggy.PluginManager) -> None:
    if os.environ.get(AUTOLOAD_ENV, "") not in ("", "0"):
        return
    allowed = os.environ.get(LOAD_ENV)
    allow = None if allowed is None else {n.strip() for n in allowed.split(",") if n.strip()}
    for distribution in importlib.metadata.distributions():
        try:
            project = str(distribution.metadata["name"])
            version = _cut(_one_line(str(distribution.version)), _SHOWN)
            entry_points = [
                entry_point
                for entry_point in distribution.entry_points
                if entry_point.group == hookspecs.PROJECT_NAME
            ]
        except Exception:  # a broken install's metadata names no layerkit plugin we could load
            continue
        for entry_point in entry_points:
            name = entry_point.name
            if allow is not None and name not in allow and project not in allow:
                continue
            if manager.is_blocked(name):
                continue
            shown = _cut(_one_line(project), _SHOWN)  # a name in a message is one short line
            where = f"plugin {name!r} from distribution {shown} {version}"
            if manager.get_plugin(name) is not None:
                other = _where(name)
                _load_failures[_one_line(f"{name} ({shown} {version})")] = (
                    f"{where} is not loaded: {other} already has that name; uninstall one"
                )
                continue
            try:
                plugin = entry_point.load()
                manager.register(plugin, name=name)
                manager.check_pending()  # a misspelled hook name is caught here
                if not manager.get_hookcallers(plugin):  # None, a wrong object: never called
                    raise PluginError(
                        f"{_shown(entry_point.value)} is {_shown(plugin)}, which has no "
                        f"@layerkit.hookimpl functions ({', '.join(_HOOKS.values())}, "
                        f"export_onnx_nodes)"
                    )
            except KeyboardInterrupt:
                raise
            except BaseException as error:  # SystemExit too: a plugin must not end the host
                if manager.get_plugin(name) is not None:
                    manager.unregister(name=name)
                _load_failures[name] = f"{where} failed to load: {_describe(error)}"
                continue
            _distributions[name] = (shown, version)


# ------------------------------------------------------------------------- collecting
def _collect(kind: Kind) -> _Found:
    """Ask every plugin for its components of ``kind``; set aside what is broken."""
    manager = plugin_manager()
    running = getattr(_running, "hook", None)
    if running is not None:
        raise PluginError(
            f"{_where(running[0])} looked up {kind}s inside its {running[1]} hook; a hook "
            f"may only call register(name, cls)"
        )
    found = _Found()
    offered: dict[str, list[Component]] = {}
    implementations = getattr(manager.hook, _HOOKS[kind]).get_hookimpls()
    # The built-in plugin first, so that its names come first and win.
    for implementation in sorted(implementations, key=lambda impl: impl.plugin_name != BUILTIN):
        components, problem = _run_hook(implementation, kind)
        if problem is not None:
            found.failures.setdefault(implementation.plugin_name, []).append(problem)
            for component in components:
                found.quarantined.setdefault(component.name, component.plugin)
            continue
        for component in components:
            offered.setdefault(component.name, []).append(component)
    for name, offers in offered.items():
        builtin = [offer for offer in offers if offer.plugin == BUILTIN]
        others = [offer.plugin for offer in offers if offer.plugin != BUILTIN]
        if builtin:
            found.components[name] = builtin[0]
            for plugin in others:
                found.failures.setdefault(plugin, []).append(
                    f"{_where(plugin)} registers {kind} {name!r}, a name built into layerkit; "
                    f"the built-in is kept and this registration ignored (use another name)"
                )
        elif len(offers) == 1:
            found.components[name] = offers[0]
        else:
            found.contested[name] = others
            for plugin in others:
                rivals = _and([repr(other) for other in others if other != plugin])
                found.failures.setdefault(plugin, []).append(
                    f"{_where(plugin)} registers {kind} {name!r}, as does plugin {rivals}; "
                    f"the name is set aside until one is uninstalled or {LOAD_ENV} loads one"
                )
    for plugin, reasons in found.failures.items():
        for reason in reasons:
            _warn(plugin, reason)
    return found


def _run_hook(implementation: Any, kind: Kind) -> tuple[list[Component], str | None]:
    """Run one plugin's hook; return what it registered and why it is set aside, if it is.

    The components come back even when the plugin is set aside, so that a lookup of one of
    their names can say which plugin would have provided it.
    """
    plugin, hook = implementation.plugin_name, _HOOKS[kind]
    where = _where(plugin)
    if implementation.hookwrapper or implementation.wrapper:
        return [], f"{where} declares {hook} as a hook wrapper; declare it as a plain hook"
    distribution, version = _distributions.get(plugin, (None, None))
    registered: list[Component] = []
    problems: list[str] = []
    hook_returned = False

    def register(name: str, cls: type) -> None:
        if hook_returned:
            raise PluginError(f"{where} called register after its {hook} hook returned")
        problem = _invalid(kind, name, cls, {component.name for component in registered})
        if problem is not None:
            problems.append(f"{where} {problem}")
        else:
            name = str.__str__(name)  # a plain str, whatever subclass was passed
            registered.append(Component(name, cls, kind, plugin, distribution, version))

    arguments = {"register": register}
    outer, _running.hook = getattr(_running, "hook", None), (plugin, hook)
    try:
        result = implementation.function(*[arguments[name] for name in implementation.argnames])
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # SystemExit too: a plugin must not end the host
        return registered, f"{where} raised {_describe(error)} in {hook}"
    finally:
        hook_returned = True
        _running.hook = outer
    if result is not None:
        if inspect.iscoroutine(result) or inspect.isgenerator(result):
            result.close()  # never started; closing it spares a "never awaited" warning
        return registered, (
            f"{where}'s {hook} returned {_shown(result)}; a hook calls register(name, cls) for "
            f"each component and returns None (it may not be async or a generator)"
        )
    if problems:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        return registered, problems[0] + more
    return registered, None


def _invalid(kind: Kind, name: object, cls: object, taken: set[str]) -> str | None:
    """Why ``register(name, cls)`` is refused for a component of ``kind``, or None."""
    if not isinstance(name, str) or not _NAME.match(name):
        return (
            f"registered {kind} name {_shown(name)}; names are lower-case identifiers such "
            f"as 'leaky_relu'"
        )
    if name in taken:
        return f"registered {kind} {name!r} twice"
    base = _BASES[kind]
    try:
        if isinstance(cls, type) and issubclass(cls, base):
            return None
        others = [
            other
            for other, other_base in _BASES.items()
            if isinstance(cls, type) and issubclass(cls, other_base)
        ]
        hint = (
            f"; it is {_article(_BASES[others[0]].__name__)}: register it in {_HOOKS[others[0]]}"
            if others
            else "; register the class itself, not an instance"
            if isinstance(cls, tuple(_BASES.values()))
            else ""
        )
    except Exception as error:  # a metaclass whose subclass check raises
        hint = f"; checking it raised {_describe(error)}"
    return (
        f"registered {kind} {name!r} as {_shown(cls)}, which is not a subclass of "
        f"layerkit.{base.__name__}{hint}"
    )


# ---------------------------------------------------------------------------- lookup
def _find(kind: Kind, name: str) -> Component:
    if not isinstance(name, str):
        raise ComponentTypeError(
            f"{kind} names are strings such as {_EXAMPLES[kind]!r}; got {_shown(name)} of "
            f"type {type(name).__name__}"
        )
    found = _collect(kind)
    if name in found.components:
        return found.components[name]
    if name in found.contested:
        plugins = found.contested[name]
        choices = " or ".join(f"{LOAD_ENV}={plugin}" for plugin in plugins)
        raise PluginError(
            f"{kind} {name!r} is registered by {len(plugins)} plugins, "
            f"{_and([repr(plugin) for plugin in plugins])}, so layerkit uses "
            f"{'neither; uninstall one' if len(plugins) == 2 else 'none; uninstall all but one'}"
            f", or load only one with {choices}"
        )
    registered = found.components
    if name in found.quarantined:
        plugin = found.quarantined[name]
        raise UnknownComponentError(
            f"no {kind} named {name!r}: the plugin that registers it was set aside "
            f"({found.failures[plugin][0]}). Available: {', '.join(sorted(registered))}"
        )
    close = difflib.get_close_matches(name, registered, n=1) if len(name) <= _SHOWN else []
    suggestion = f" Did you mean {close[0]!r}?" if close else ""
    failed = _load_failures.keys() | found.failures.keys()
    set_aside = (
        f" Set aside because they are broken: {', '.join(map(repr, sorted(failed)))} "
        f"(see lk.failed_plugins())."
        if failed
        else ""
    )
    provider = first_party_provider(kind, name)
    more = (
        f"{name!r} is provided by the first-party plugin {provider}; install it "
        f"{distribution_hint(provider)}."
        if provider
        else "A plugin may provide more: install a package that registers it under the "
        "'layerkit' entry-point group; `layerkit plugins` lists what is installed."
    )
    raise UnknownComponentError(
        f"no {kind} named {_shown(name)}.{suggestion} Available: "
        f"{', '.join(sorted(registered))}. {more}{set_aside}"
    )


def _build(component: Component, options: dict[str, Any]) -> Any:
    """Call the component's class with ``options``; its errors become layerkit errors."""
    what = (
        f"{component.kind} {component.name!r} from plugin {component.plugin!r} with options "
        f"{_shown(options)}"
    )
    try:
        instance = component.cls(**options)
    except LayerkitError as error:  # already says what is wrong: keep its type, add where
        with contextlib.suppress(Exception):  # a plugin may have spoilt __notes__
            error.add_note(f"while building {what}")
        raise
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # SystemExit too: a plugin's class must not end the host
        raise ConfigurationError(f"cannot build {what}: {_describe(error)}") from error
    base = _BASES[component.kind]
    if not isinstance(instance, base):  # a __new__ returning something else
        raise PluginError(
            f"building {what} returned {_shown(instance)}, which is not a layerkit.{base.__name__}"
        )
    return instance


# --------------------------------------------------------------------------- messages
def _where(plugin: str) -> str:
    """``plugin 'x' from distribution d 1.0``, or without the distribution at run time."""
    if plugin in _distributions:
        project, version = _distributions[plugin]
        return f"plugin {plugin!r} from distribution {project} {version}"
    return f"plugin {plugin!r}"


def _warn(plugin: str, reason: str) -> None:
    """Warn once per manager about ``reason`` (a plugin asked again fails again)."""
    if reason not in _warned:
        _warned.add(reason)
        warnings.warn(PluginWarning(reason, plugin), stacklevel=4)


def _describe(error: BaseException) -> str:
    """``TypeName: message`` on one line, even for an exception whose ``str`` raises."""
    name = type(error).__name__
    try:
        message = _one_line(str(error))
    except KeyboardInterrupt:
        raise
    except BaseException:
        message = "(its message could not be shown)"
    return f"{name}: {_cut(message, 3 * _SHOWN)}" if message else name


def _shown(value: object) -> str:
    """``repr(value)`` on one line and cut short, even for a value whose ``repr`` raises."""
    try:
        text = _one_line(repr(value))
    except KeyboardInterrupt:
        raise
    except BaseException:
        text = f"<{type(value).__name__} object>"
    return _cut(text, _SHOWN)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _article(noun: str) -> str:
    return f"{'an' if noun[0].lower() in 'aeiou' else 'a'} {noun}"
