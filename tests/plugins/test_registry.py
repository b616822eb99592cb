"""The plugin host: discovery, lookup by name, and every way a plugin can go wrong."""

from __future__ import annotations

import importlib.metadata
import inspect
import sys
import types

import numpy as np
import pytest

import layerkit as lk
from layerkit import hookspecs
from layerkit.errors import PluginError, UnknownComponentError
from layerkit.registry import AUTOLOAD_ENV, LOAD_ENV, PluginWarning, reset_plugin_manager


class Cube(lk.Activation):
    """A tiny activation for the tests: y = x³."""

    def function(self, x):
        return x**3

    def derivative(self, x, y):
        return 3 * x**2


class Absolute(lk.Loss):
    """A tiny loss for the tests: Σ|y − t|."""

    def forward(self, y, t):
        self._sign = np.sign(np.asarray(y) - np.asarray(t)) * self._batch_scale(np.asarray(y))
        return float(np.sum(np.abs(np.asarray(y) - np.asarray(t)))) * self._batch_scale(y)

    def backward(self):
        return self._sign


def plugin_module(name: str, **hooks) -> types.ModuleType:
    """A module object holding ``hooks`` as ``@hookimpl`` functions, as a plugin package would."""
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        function.__name__ = hook_name
        setattr(module, hook_name, lk.hookimpl(function))
    return module


class FakeDistribution:
    """Stands in for an installed distribution with entry points in the ``layerkit`` group."""

    def __init__(self, name: str, entry_points: dict[str, str], version: str = "1.0") -> None:
        self.metadata = {"name": name}
        self.version = version
        self.entry_points = [
            importlib.metadata.EntryPoint(name=ep, value=module, group="layerkit")
            for ep, module in entry_points.items()
        ]


@pytest.fixture(autouse=True)
def fresh_manager():
    """Every test starts and ends with a plugin manager that has not loaded anything yet."""
    reset_plugin_manager()
    yield
    reset_plugin_manager()


@pytest.fixture
def installed(monkeypatch):
    """Replace the installed distributions with fakes; modules are placed in sys.modules."""

    def install(*distributions: FakeDistribution, modules: dict[str, types.ModuleType]):
        for name, module in modules.items():
            monkeypatch.setitem(sys.modules, name, module)
        monkeypatch.setattr(importlib.metadata, "distributions", lambda: list(distributions))

    monkeypatch.delenv(AUTOLOAD_ENV, raising=False)
    monkeypatch.delenv(LOAD_ENV, raising=False)
    return install


def cube_plugin(register):
    register("cube", Cube)


def absolute_plugin(register):
    register("absolute", Absolute)


# ------------------------------------------------------------------------------ the hooks
def test_hook_register_activations(installed):
    """A plugin's register_activations hook makes its class available by name."""
    installed(
        FakeDistribution("layerkit-cube", {"cube": "fake_cube"}, version="2.1"),
        modules={"fake_cube": plugin_module("fake_cube", register_activations=cube_plugin)},
    )
    component = lk.activations()["cube"]
    assert (component.cls, component.plugin) == (Cube, "cube")
    assert (component.distribution, component.version) == ("layerkit-cube", "2.1")
    assert isinstance(lk.activation("cube"), Cube)
    assert lk.mlp([2, 2], output="cube", seed=0)[1].__class__ is Cube


def test_hook_register_losses(installed):
    """A plugin's register_losses hook makes its class available by name, with options."""
    installed(
        FakeDistribution("layerkit-absolute", {"absolute": "fake_absolute"}),
        modules={"fake_absolute": plugin_module("fake_absolute", register_losses=absolute_plugin)},
    )
    assert lk.losses()["absolute"].cls is Absolute
    assert lk.loss("absolute", reduction="sum").reduction == "sum"


def test_every_hook_has_a_test_here():
    """Each hook in hookspecs.py has a test_hook_<name> in this module (datasette's rule)."""
    hooks = {
        name
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(function, "layerkit_spec")
    }
    assert hooks == {"register_activations", "register_losses"}
    for hook in hooks:
        assert f"test_hook_{hook}" in globals(), f"no test for hook {hook}"


def test_builtins_register_through_the_same_hooks():
    """Sigmoid and L2Loss come from the built-in plugin, not from special-cased code."""
    manager = lk.plugin_manager()
    assert manager.get_plugin("layerkit") is not None
    assert lk.activations()["sigmoid"].plugin == "layerkit"
    assert lk.losses()["l2"].plugin == "layerkit"
    manager.unregister(name="layerkit")
    assert "sigmoid" not in lk.activations()


def test_runtime_registration_is_seen_at_once(monkeypatch):
    """A plugin object registered on the manager is visible to the next lookup."""
    monkeypatch.setenv(AUTOLOAD_ENV, "1")

    class RuntimePlugin:
        @lk.hookimpl
        def register_activations(self, register):
            register("cube", Cube)

    manager = lk.plugin_manager()
    manager.register(RuntimePlugin(), name="runtime")
    try:
        assert lk.activations()["cube"].plugin == "runtime"
    finally:
        manager.unregister(name="runtime")
    assert "cube" not in lk.activations()


# ---------------------------------------------------------------------- loading controls
def test_autoload_can_be_switched_off(installed, monkeypatch):
    """With LAYERKIT_DISABLE_PLUGIN_AUTOLOAD set, entry points are not loaded."""
    installed(
        FakeDistribution("layerkit-cube", {"cube": "fake_cube"}),
        modules={"fake_cube": plugin_module("fake_cube", register_activations=cube_plugin)},
    )
    monkeypatch.setenv(AUTOLOAD_ENV, "1")
    assert set(lk.activations()) == {"sigmoid"}


def test_allow_list_loads_only_named_plugins(installed, monkeypatch):
    """LAYERKIT_LOAD_PLUGINS names the entry points (or distributions) to load."""
    installed(
        FakeDistribution("layerkit-cube", {"cube": "fake_cube"}),
        FakeDistribution("layerkit-absolute", {"absolute": "fake_absolute"}),
        modules={
            "fake_cube": plugin_module("fake_cube", register_activations=cube_plugin),
            "fake_absolute": plugin_module("fake_absolute", register_losses=absolute_plugin),
        },
    )
    monkeypatch.setenv(LOAD_ENV, "layerkit-absolute")
    assert "cube" not in lk.activations()
    assert "absolute" in lk.losses()
    reset_plugin_manager()
    monkeypatch.setenv(LOAD_ENV, "")
    assert set(lk.losses()) == {"l2"}


# --------------------------------------------------------------------------- error paths
def test_unknown_name_lists_what_is_available():
    with pytest.raises(UnknownComponentError) as caught:
        lk.activation("sigmod")
    message = str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert "no activation named 'sigmod'" in message
    assert "Did you mean 'sigmoid'?" in message
    assert "Available: " in message and "sigmoid" in message
    assert "plugin may provide more" in message
    with pytest.raises(UnknownComponentError, match=r"no loss named 'mse'.*Available: .*l2"):
        lk.loss("mse")


def test_duplicate_name_names_both_plugins(installed):
    def sigmoid_again(register):
        register("sigmoid", Cube)

    installed(
        FakeDistribution("layerkit-clash", {"clash": "fake_clash"}),
        modules={"fake_clash": plugin_module("fake_clash", register_activations=sigmoid_again)},
    )
    with pytest.raises(PluginError, match="'sigmoid' is registered by two plugins") as caught:
        lk.activation("sigmoid")
    assert "'layerkit'" in str(caught.value) and "'clash'" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "cls", "words"),
    [
        ("cube", object, "not a subclass of layerkit.Layer"),
        ("cube", Cube(), "not a subclass of layerkit.Layer"),
        ("Cube", Cube, "lower-case identifiers"),
        ("", Cube, "lower-case identifiers"),
    ],
)
def test_wrong_registration_is_a_type_error_naming_the_plugin(installed, name, cls, words):
    def bad(register):
        register(name, cls)

    installed(
        FakeDistribution("layerkit-bad", {"bad": "fake_bad"}),
        modules={"fake_bad": plugin_module("fake_bad", register_activations=bad)},
    )
    with pytest.raises(PluginError, match=words) as caught:
        lk.activations()
    assert isinstance(caught.value, TypeError)
    assert "plugin 'bad'" in str(caught.value)


def test_loss_registered_as_activation_is_refused(installed):
    def bad(register):
        register("absolute", Absolute)

    installed(
        FakeDistribution("layerkit-bad", {"bad": "fake_bad"}),
        modules={"fake_bad": plugin_module("fake_bad", register_activations=bad)},
    )
    with pytest.raises(PluginError, match=r"'absolute'.*not a subclass of layerkit.Layer"):
        lk.activations()


def test_plugin_failing_on_import_is_reported_and_the_rest_works(installed, monkeypatch):
    """An entry point whose module raises is skipped with a warning naming its distribution."""
    installed(
        FakeDistribution("layerkit-broken", {"broken": "fake_broken_does_not_exist"}, "0.3"),
        FakeDistribution("layerkit-cube", {"cube": "fake_cube"}),
        modules={"fake_cube": plugin_module("fake_cube", register_activations=cube_plugin)},
    )
    with pytest.warns(PluginWarning, match="'broken' from distribution layerkit-broken 0.3"):
        names = set(lk.activations())
    assert names == {"sigmoid", "cube"}
    assert "ModuleNotFoundError" in lk.failed_plugins()["broken"]
    assert lk.activation("sigmoid") is not None


def test_plugin_with_a_misspelled_hook_is_reported(installed):
    """check_pending catches a hook implementation that matches no hook specification."""
    module = plugin_module("fake_typo", register_activation=cube_plugin)  # singular: a typo
    installed(
        FakeDistribution("layerkit-typo", {"typo": "fake_typo"}), modules={"fake_typo": module}
    )
    with pytest.warns(PluginWarning, match="'typo'.*register_activation"):
        assert "cube" not in lk.activations()
    assert "typo" in lk.failed_plugins()
    assert lk.plugin_manager().get_plugin("typo") is None


def test_plugin_raising_in_its_hook_is_named(installed):
    def explode(register):
        raise RuntimeError("boom")

    installed(
        FakeDistribution("layerkit-boom", {"boom": "fake_boom"}),
        modules={"fake_boom": plugin_module("fake_boom", register_losses=explode)},
    )
    with pytest.raises(PluginError, match="plugin 'boom' raised RuntimeError in register_losses"):
        lk.losses()


def test_unknown_option_names_the_component():
    with pytest.raises(TypeError) as caught:
        lk.activation("sigmoid", slope=2)
    assert any("activation 'sigmoid'" in note for note in caught.value.__notes__)


# ------------------------------------------------------------------------------------ mlp
def test_mlp_builds_the_equivalent_sequential():
    """mlp([2, 3, 2]) is Dense, Sigmoid, Dense, Sigmoid with the same weights for one seed."""
    net = lk.mlp([2, 3, 2], seed=0)
    rng = np.random.default_rng(0)
    by_hand = lk.Sequential(
        lk.Dense(2, 3, seed=rng), lk.Sigmoid(), lk.Dense(3, 2, seed=rng), lk.Sigmoid()
    )
    assert repr(net) == repr(by_hand)
    for built, written in zip(net.parameters(), by_hand.parameters(), strict=True):
        np.testing.assert_array_equal(built.value, written.value)


def test_mlp_without_output_activation_ends_in_dense():
    net = lk.mlp([4, 8, 8, 3], activation="sigmoid", output=None, seed=1)
    assert [type(layer).__name__ for layer in net] == [
        "Dense", "Sigmoid", "Dense", "Sigmoid", "Dense",
    ]  # fmt: skip


@pytest.mark.parametrize("sizes", [[], [3], "23", [2, 0, 1], [2, -1]])
def test_mlp_refuses_bad_sizes(sizes):
    with pytest.raises(lk.errors.ConfigurationError, match="mlp expects"):
        lk.mlp(sizes)
