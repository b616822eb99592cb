"""Fuzz the plugin host with throwaway broken plugins: the host must never break.

Hypothesis installs (as fake distributions) a few plugins, each of which may fail while it is
imported, raise inside a hook after k registrations, or register names and things drawn from
valid, invalid, duplicate and built-in ones. An independent model says which plugins are
set aside and which names survive; the registry must agree, and the host must keep working.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import os
import sys
import types
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import layerkit as lk
from layerkit.errors import PluginError
from layerkit.registry import AUTOLOAD_ENV, LOAD_ENV, PluginWarning, reset_plugin_manager

KINDS = ("activation", "loss")
HOOKS = {"activation": "register_activations", "loss": "register_losses"}
BUILTIN_NAMES = {"activation": "sigmoid", "loss": "l2"}
INVALID_NAMES = ["Bad", "", "a-b", "x\n", None, 5, ["x"]]


class Cube(lk.Activation):
    def function(self, x):
        return x**3

    def derivative(self, x, y):
        return 3 * x**2


class Absolute(lk.Loss):
    def forward(self, y, t):
        return 0.0

    def backward(self):
        return None


class Bomb(BaseException):
    """Neither an Exception nor KeyboardInterrupt."""


VALID = {"activation": Cube, "loss": Absolute}
THINGS = {
    "valid": lambda kind: VALID[kind],
    "instance": lambda kind: VALID[kind](),
    "function": lambda kind: lambda x: x,
    "int": lambda kind: 5,
    "non-layer class": lambda kind: type("Thing", (), {}),
    "other kind": lambda kind: VALID["loss" if kind == "activation" else "activation"],
}
ERRORS = [
    lambda: RuntimeError("boom"),
    lambda: ValueError("bad\nvalue"),
    lambda: SystemExit(3),
    lambda: GeneratorExit(),
    lambda: Bomb("lit"),
    lambda: MemoryError(),
    lambda: RecursionError(),
]


@dataclass
class Hook:
    registrations: list[tuple[str, str]]
    """(name source, thing) pairs, in the order the hook registers them."""
    raise_at: int | None
    error: int


@dataclass
class Plugin:
    name: str
    import_error: int | None
    hooks: dict[str, Hook]


hooks = st.builds(
    Hook,
    registrations=st.lists(
        st.tuples(
            st.sampled_from(["own", "shared", "builtin", "invalid"]), st.sampled_from(list(THINGS))
        ),
        max_size=4,
    ),
    raise_at=st.none() | st.integers(0, 4),
    error=st.integers(0, len(ERRORS) - 1),
)
plugin_sets = st.lists(
    st.tuples(
        st.none() | st.none() | st.integers(0, len(ERRORS) - 1),
        st.fixed_dictionaries({kind: hooks for kind in KINDS}),
    ),
    min_size=1,
    max_size=4,
).map(
    lambda drawn: [
        Plugin(f"p{index}", import_error, plugin_hooks)
        for index, (import_error, plugin_hooks) in enumerate(drawn)
    ]
)


def concrete_name(source: str, plugin: Plugin, kind: str, position: int, invalid: int):
    if source == "own":
        return f"{plugin.name}_{kind}_{position}"
    if source == "shared":
        return f"shared_{kind}"
    if source == "builtin":
        return BUILTIN_NAMES[kind]
    return INVALID_NAMES[invalid % len(INVALID_NAMES)]


def hook_function(plugin: Plugin, kind: str):
    hook = plugin.hooks[kind]

    def register_anything(register):
        for position, (source, thing) in enumerate(hook.registrations):
            if hook.raise_at == position:
                raise ERRORS[hook.error]()
            name = concrete_name(source, plugin, kind, position, position + hook.error)
            register(name, THINGS[thing](kind))
        if hook.raise_at is not None and hook.raise_at >= len(hook.registrations):
            raise ERRORS[hook.error]()

    return register_anything


def expected(plugins: list[Plugin]) -> tuple[dict, dict, set[str]]:
    """The model: names that survive (name → plugin), contested names, plugins set aside."""
    survivors: dict[str, dict[str, str]] = {}
    contested: dict[str, dict[str, list[str]]] = {}
    set_aside = {plugin.name for plugin in plugins if plugin.import_error is not None}
    for kind in KINDS:
        offers: dict[str, list[str]] = {}
        for plugin in plugins:
            if plugin.import_error is not None:
                continue
            hook = plugin.hooks[kind]
            done = hook.registrations[: hook.raise_at]  # [: None] is all of them
            names = [
                concrete_name(source, plugin, kind, position, position + hook.error)
                for position, (source, _) in enumerate(done)
            ]
            if (
                hook.raise_at is not None
                or any(thing != "valid" for _, thing in done)
                or any(source == "invalid" for source, _ in done)
                or len(set(names)) < len(names)
            ):
                set_aside.add(plugin.name)
                continue
            for name in names:
                offers.setdefault(name, []).append(plugin.name)
        survivors[kind] = {BUILTIN_NAMES[kind]: "layerkit"}
        contested[kind] = {}
        for name, offered_by in offers.items():
            if name == BUILTIN_NAMES[kind] or len(offered_by) > 1:
                set_aside.update(offered_by)
                if name != BUILTIN_NAMES[kind]:
                    contested[kind][name] = offered_by
            else:
                survivors[kind][name] = offered_by[0]
    return survivors, contested, set_aside


class FailingImports(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Makes importing each of the named modules raise the given exception."""

    def __init__(self, failures: dict[str, BaseException]) -> None:
        self.failures = failures

    def find_spec(self, name, path=None, target=None):
        if name in self.failures:
            return importlib.machinery.ModuleSpec(name, self)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        raise self.failures[module.__name__]


@contextlib.contextmanager
def installed(plugins: list[Plugin]) -> Iterator[None]:
    """Install ``plugins`` as fake distributions on a fresh plugin manager; undo it all after."""
    modules, failures, distributions = {}, {}, []
    for plugin in plugins:
        module_name = f"fake_fuzz_plugin_{plugin.name}"
        if plugin.import_error is not None:
            failures[module_name] = ERRORS[plugin.import_error]()
        else:
            module = types.ModuleType(module_name)
            for kind in KINDS:
                setattr(module, HOOKS[kind], lk.hookimpl(hook_function(plugin, kind)))
            modules[module_name] = module
        distributions.append(
            types.SimpleNamespace(
                metadata={"name": f"layerkit-{plugin.name}"},
                version="1.0",
                entry_points=[importlib.metadata.EntryPoint(plugin.name, module_name, "layerkit")],
            )
        )
    finder = FailingImports(failures)
    saved_distributions = importlib.metadata.distributions
    saved_environment = {name: os.environ.pop(name, None) for name in (AUTOLOAD_ENV, LOAD_ENV)}
    sys.modules.update(modules)
    sys.meta_path.insert(0, finder)
    importlib.metadata.distributions = lambda: list(distributions)
    reset_plugin_manager()
    try:
        yield
    finally:
        reset_plugin_manager()
        importlib.metadata.distributions = saved_distributions
        sys.meta_path.remove(finder)
        for name in modules:
            sys.modules.pop(name, None)
        for name, value in saved_environment.items():
            if value is not None:
                os.environ[name] = value


@pytest.mark.guarantee("plugins")
@settings(deadline=None, max_examples=150)
@given(plugins=plugin_sets)
def test_broken_plugins_never_break_the_host(plugins):
    survivors, contested, set_aside = expected(plugins)
    with installed(plugins), warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always", PluginWarning)
        found = {"activation": lk.activations(), "loss": lk.losses()}
        failed = lk.failed_plugins()
        for kind in KINDS:
            assert {name: c.plugin for name, c in found[kind].items()} == survivors[kind]
            build = lk.activation if kind == "activation" else lk.loss
            for name, offered_by in contested[kind].items():
                with pytest.raises(PluginError) as caught:
                    build(name)
                assert all(repr(plugin) in str(caught.value) for plugin in offered_by)
        assert set(failed) == set_aside
        assert all("\n" not in reason for reason in failed.values())
        assert isinstance(lk.activation("sigmoid"), lk.Sigmoid)
        lk.mlp([2, 3, 1], seed=0)
    plugin_warnings = [w.message for w in warned if issubclass(w.category, PluginWarning)]
    assert {warning.plugin for warning in plugin_warnings} == set_aside
    assert all("\n" not in str(warning) for warning in plugin_warnings)


OPTION_NAMES = ["bogus", "slope", "alpha", "delta", "reduction", "from_logits", "axis", "scale"]
OPTION_VALUES = (
    st.sampled_from(
        [10**400, -(10**400), -1, 0, 0.5, float("nan"), float("inf"), 1e308, True, None, "x", "sum"]
    )
    | st.builds(list)
    | st.builds(dict)
    | st.integers()
    | st.floats()
)


@pytest.mark.guarantee("plugins")
@settings(deadline=None, max_examples=150)
@given(
    kind=st.sampled_from(KINDS),
    pick=st.integers(0, 100),
    options=st.dictionaries(st.sampled_from(OPTION_NAMES), OPTION_VALUES, max_size=2),
)
def test_any_options_give_a_component_or_a_layerkit_error(kind, pick, options):
    """Every registered component, built with any options, is built or refused clearly."""
    registered = lk.activations() if kind == "activation" else lk.losses()
    name = sorted(registered)[pick % len(registered)]
    build = lk.activation if kind == "activation" else lk.loss
    try:
        component = build(name, **options)
    except lk.errors.LayerkitError as error:
        assert isinstance(error, (TypeError, ValueError))
    else:
        assert isinstance(component, lk.Layer if kind == "activation" else lk.Loss)
