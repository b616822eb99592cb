"""The plugin host: discovery, lookup by name, and every way a plugin can go wrong."""

from __future__ import annotations

import inspect
import sys
import time
import types

import numpy as np
import pytest
from plugins.broken_plugins import (
    BROKEN,
    Absolute,
    Broken,
    Cube,
    FakeDistribution,
    install,
    plugin_module,
)

import layerkit as lk
from layerkit import hookspecs
from layerkit.errors import (
    ComponentTypeError,
    ConfigurationError,
    PluginError,
    UnknownComponentError,
)
from layerkit.registry import AUTOLOAD_ENV, LOAD_ENV, PluginWarning, reset_plugin_manager


@pytest.fixture(autouse=True)
def fresh_manager():
    """Every test starts and ends with a plugin manager that has not loaded anything yet."""
    reset_plugin_manager()
    yield
    reset_plugin_manager()


@pytest.fixture
def installed(monkeypatch):
    """Replace the installed distributions with fakes; modules are placed in sys.modules."""

    def install_fakes(*distributions: FakeDistribution, modules: dict[str, types.ModuleType]):
        install(monkeypatch, *distributions, modules=modules)

    return install_fakes


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


class HalfStep(lk.Optimizer):
    """Moves each parameter by half its gradient."""

    lr = 0.5

    def update(self, value, grad, *, overwrite_grad=False):
        value -= 0.5 * grad


class Twos(lk.Initializer):
    def draw(self, shape, rng):
        return np.full(shape, 2.0)


class Hits(lk.Metric):
    def forward(self, y, t):
        return float(np.mean(np.asarray(y) == np.asarray(t)))


def test_hook_register_optimizers(installed):
    """A plugin's register_optimizers hook makes its class available to lk.optimizer."""
    installed(
        FakeDistribution("layerkit-half", {"half": "fake_half"}),
        modules={
            "fake_half": plugin_module(
                "fake_half", register_optimizers=lambda register: register("half", HalfStep)
            )
        },
    )
    assert lk.optimizers()["half"].cls is HalfStep
    layer = lk.Dense(1, 1, W=[[1.0]], b=[0.0])
    layer.forward(np.ones((1, 1)))
    layer.backward(np.ones((1, 1)))  # ∂L/∂W = 1
    lk.optimizer("half").step(layer)
    assert layer.W[0, 0] == 0.5


def test_hook_register_initializers(installed):
    """A plugin's register_initializers hook makes its class available to lk.initializer."""
    installed(
        FakeDistribution("layerkit-twos", {"twos": "fake_twos"}),
        modules={
            "fake_twos": plugin_module(
                "fake_twos", register_initializers=lambda register: register("twos", Twos)
            )
        },
    )
    assert lk.initializers()["twos"].cls is Twos
    assert (lk.initializer("twos")((2, 2), np.random.default_rng(0)) == 2.0).all()


def test_hook_register_metrics(installed):
    """A plugin's register_metrics hook makes its class available to lk.metric."""
    installed(
        FakeDistribution("layerkit-hits", {"hits": "fake_hits"}),
        modules={
            "fake_hits": plugin_module(
                "fake_hits", register_metrics=lambda register: register("hits", Hits)
            )
        },
    )
    assert lk.metrics()["hits"].cls is Hits
    assert lk.metric("hits")([1, 2, 3, 4], [1, 2, 0, 0]) == 0.5


def test_a_class_registered_under_the_wrong_kind_is_named(installed):
    """An optimizer registered as a metric is set aside with a hint to the right hook."""
    installed(
        FakeDistribution("layerkit-mixed", {"mixed": "fake_mixed"}),
        modules={
            "fake_mixed": plugin_module(
                "fake_mixed", register_metrics=lambda register: register("half", HalfStep)
            )
        },
    )
    with pytest.warns(
        PluginWarning, match="it is an Optimizer: register it in register_optimizers"
    ):
        assert "half" not in lk.metrics()
    assert "register_optimizers" in lk.failed_plugins()["mixed"]


def test_registered_name_finds_the_name_of_an_instance():
    from layerkit.registry import registered_name

    assert registered_name(lk.SGD(lr=0.1)) == "sgd"
    assert registered_name(lk.L2Loss()) == "l2"
    assert registered_name(HalfStep()) is None


def test_hook_export_onnx_nodes(tmp_path):
    """A plugin's export_onnx_nodes hook writes its layer; pluggy calls it as a firstresult hook.

    (tests/export/ runs exported models in ONNX Runtime and covers broken exporters.)
    """
    onnx = pytest.importorskip("onnx")
    from layerkit.onnx_export import OnnxGraph

    class Double(lk.Layer):
        def forward(self, x):
            return 2 * np.asarray(x)

    @lk.hookimpl
    def export_onnx_nodes(component, graph, input_name):
        if type(component) is Double:
            return graph.add_node("Add", [input_name, input_name])
        return None

    plugin = types.SimpleNamespace(export_onnx_nodes=export_onnx_nodes)
    lk.plugin_manager().register(plugin, name="double")
    graph = OnnxGraph(onnx, np.dtype(np.float64), 17)
    assert (
        lk.plugin_manager().hook.export_onnx_nodes(component=Double(), graph=graph, input_name="x")
        == "add"
    )
    assert (
        lk.plugin_manager().hook.export_onnx_nodes(
            component=lk.Sigmoid(), graph=graph, input_name="x"
        )
        == "sigmoid"
    )  # the built-in plugin's
    lk.export_onnx(lk.Sequential(lk.Dense(1, 1, W=[[3.0]], b=[1.0]), Double()), tmp_path / "d.onnx")
    model = onnx.load(tmp_path / "d.onnx")
    assert [node.op_type for node in model.graph.node] == ["Gemm", "Add"]


def test_every_hook_has_a_test_here():
    """Each hook in hookspecs.py has a test_hook_<name> in this module (datasette's rule)."""
    hooks = {
        name
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(function, "layerkit_spec")
    }
    assert hooks == {
        "register_activations",
        "register_losses",
        "register_optimizers",
        "register_initializers",
        "register_metrics",
        "export_onnx_nodes",
    }
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


@pytest.mark.guarantee("plugins")
@pytest.mark.parametrize("build", [lk.activation, lk.loss], ids=["activation", "loss"])
@pytest.mark.parametrize("name", [["tanh"], None, 5, b"sigmoid", {"l2": 1}, 1.5])
def test_a_name_that_is_not_a_string_is_a_component_type_error(build, name):
    """Unhashable or non-string names get a layerkit error, never a bare TypeError."""
    with pytest.raises(ComponentTypeError, match="names are strings such as") as caught:
        build(name)
    assert isinstance(caught.value, TypeError)
    assert type(name).__name__ in str(caught.value)


@pytest.mark.guarantee("plugins")
def test_a_name_two_plugins_register_is_set_aside_naming_both(installed, monkeypatch, tmp_path):
    """Only the contested name fails, naming both plugins and how to choose; the rest works."""

    def first(register):
        register("cube", Cube)
        register("first_only", Cube)

    def second(register):
        register("second_only", Cube)
        register("cube", Cube)

    installed(
        FakeDistribution("layerkit-first", {"first": "fake_first"}),
        FakeDistribution("layerkit-second", {"second": "fake_second"}),
        modules={
            "fake_first": plugin_module("fake_first", register_activations=first),
            "fake_second": plugin_module("fake_second", register_activations=second),
        },
    )
    with pytest.warns(PluginWarning, match="registers activation 'cube'"):
        registered = lk.activations()
    assert {"sigmoid", "first_only", "second_only"} <= set(registered)
    assert "cube" not in registered
    with pytest.raises(PluginError, match="'cube' is registered by 2 plugins") as caught:
        lk.activation("cube")
    message = str(caught.value)
    assert "'first'" in message and "'second'" in message
    assert "uninstall one" in message and f"{LOAD_ENV}=first" in message
    failed = lk.failed_plugins()
    assert "'second'" in failed["first"] and "'first'" in failed["second"]
    assert isinstance(lk.activation("second_only"), Cube)
    for activation in ("sigmoid", "first_only"):  # models without the contested name save
        net = lk.mlp([2, 3, 1], activation=activation, seed=0)
        net.save(tmp_path / "net.npz")
        assert repr(lk.load(tmp_path / "net.npz")) == repr(net)

    reset_plugin_manager()  # the allow-list settles it
    monkeypatch.setenv(LOAD_ENV, "first")
    assert lk.activations()["cube"].plugin == "first"
    assert lk.failed_plugins() == {}


@pytest.mark.guarantee("plugins")
def test_a_builtin_name_stays_the_builtin(installed, tmp_path):
    """A plugin registering "sigmoid" cannot take it over, nor break models that use it."""

    def sigmoid_again(register):
        register("sigmoid", Cube)
        register("cube", Cube)

    def l2_again(register):
        register("l2", Absolute)

    installed(
        FakeDistribution("layerkit-clash", {"clash": "fake_clash"}),
        modules={
            "fake_clash": plugin_module(
                "fake_clash", register_activations=sigmoid_again, register_losses=l2_again
            )
        },
    )
    with pytest.warns(PluginWarning, match="'sigmoid', a name built into layerkit"):
        assert lk.activations()["sigmoid"].cls is lk.Sigmoid
    with pytest.warns(PluginWarning, match="'l2', a name built into layerkit"):
        assert lk.losses()["l2"].cls is lk.L2Loss
    assert isinstance(lk.activation("sigmoid"), lk.Sigmoid)
    assert isinstance(lk.activation("cube"), Cube)  # its other names keep working
    reason = lk.failed_plugins()["clash"]
    assert "'sigmoid'" in reason and "'l2'" in reason and "\n" not in reason
    net = lk.mlp([2, 3, 1], seed=0)
    net.save(tmp_path / "net.npz", loss=lk.L2Loss())
    assert repr(lk.load(tmp_path / "net.npz")) == repr(net)


@pytest.mark.guarantee("plugins")
@pytest.mark.filterwarnings("ignore::layerkit.registry.PluginWarning")
@pytest.mark.parametrize("broken", BROKEN, ids=[broken.id for broken in BROKEN])
def test_a_broken_plugin_is_set_aside_and_everything_else_works(broken, monkeypatch, tmp_path):
    """Whatever a plugin does wrong, only it is set aside; lookups, mlp, save and load work."""
    broken.install(monkeypatch, tmp_path, keep_installed=True)
    registered = lk.activations()  # never raises because of a plugin
    lk.losses()
    reason = lk.failed_plugins()["bad"]
    assert broken.why in reason and "\n" not in reason and len(reason) < 500
    assert ("cube" in registered) is not broken.whole  # a half-broken hook provides nothing
    if broken.whole:
        with pytest.raises(UnknownComponentError, match="'bad'"):
            lk.activation("cube")
    assert isinstance(lk.activation("relu"), lk.Layer)  # from the first-party plugin
    assert isinstance(lk.loss("cross_entropy"), lk.Loss)
    net = lk.mlp([2, 3, 1], seed=0)
    net.save(tmp_path / "net.npz")
    assert repr(lk.load(tmp_path / "net.npz")) == repr(net)
    lk.Sequential(lk.Dense(2, 1, seed=0)).save(tmp_path / "dense.npz")
    lk.load(tmp_path / "dense.npz")


@pytest.mark.guarantee("plugins")
@pytest.mark.parametrize("broken", BROKEN[:6], ids=[broken.id for broken in BROKEN[:6]])
def test_a_broken_plugin_is_warned_about_once_in_one_line(broken, monkeypatch, tmp_path):
    broken.install(monkeypatch, tmp_path)
    with pytest.warns(PluginWarning) as warned:
        lk.activations()
    assert [str(warning.message) for warning in warned] == [lk.failed_plugins()["bad"]]
    assert warned[0].message.plugin == "bad"
    lk.activations()  # filterwarnings=error: a second warning would fail here
    lk.failed_plugins()


@pytest.mark.guarantee("plugins")
@pytest.mark.filterwarnings("ignore::layerkit.registry.PluginWarning")
def test_a_long_multi_line_message_is_one_short_line(installed):
    def explode(register):
        raise RuntimeError("first line\n" + "x" * 100_000)

    installed(
        FakeDistribution("layerkit-boom", {"boom": "fake_boom"}),
        modules={"fake_boom": plugin_module("fake_boom", register_losses=explode)},
    )
    assert set(lk.losses()) == {"l2"}
    reason = lk.failed_plugins()["boom"]
    assert "plugin 'boom' from distribution layerkit-boom 1.0 raised RuntimeError" in reason
    assert "in register_losses" in reason and "first line x" in reason
    assert "\n" not in reason and len(reason) < 500


@pytest.mark.guarantee("plugins")
@pytest.mark.parametrize("where", ["hook", "import"])
def test_keyboard_interrupt_still_stops_the_program(where, monkeypatch, tmp_path):
    """Ctrl-C is the user's, not the plugin's: it propagates, and the next lookup starts anew."""

    def interrupted(register):
        raise KeyboardInterrupt

    broken = Broken(
        "interrupt",
        "",
        {"register_activations": interrupted},
        source="raise KeyboardInterrupt" if where == "import" else None,
    )
    broken.install(monkeypatch, tmp_path)
    with pytest.raises(KeyboardInterrupt):
        lk.activations()
    if where == "import":  # no half-loaded manager is kept: the next lookup loads again
        with pytest.raises(KeyboardInterrupt):
            lk.activations()
    install(monkeypatch)  # uninstalled
    reset_plugin_manager()
    assert set(lk.activations()) == {"sigmoid"}


@pytest.mark.guarantee("plugins")
@pytest.mark.filterwarnings("ignore::layerkit.registry.PluginWarning")
def test_register_after_the_hook_returned_is_refused(monkeypatch):
    """A plugin that keeps the callback cannot register behind the registry's back."""
    monkeypatch.setenv(AUTOLOAD_ENV, "1")
    kept = []

    class Hoarder:
        @lk.hookimpl
        def register_activations(self, register):
            kept.append(register)

    lk.plugin_manager().register(Hoarder(), name="hoarder")
    lk.activations()
    with pytest.raises(PluginError, match="after its register_activations hook returned"):
        kept[0]("cube", Cube)
    assert "cube" not in lk.activations()


@pytest.mark.guarantee("plugins")
@pytest.mark.filterwarnings("ignore::layerkit.registry.PluginWarning")
def test_a_hook_wrapper_is_set_aside(monkeypatch):
    monkeypatch.setenv(AUTOLOAD_ENV, "1")

    class Wrapper:
        @lk.hookimpl(wrapper=True)
        def register_activations(self, register):
            register("cube", Cube)
            return (yield)

    lk.plugin_manager().register(Wrapper(), name="wrapper")
    assert "cube" not in lk.activations()
    assert "hook wrapper" in lk.failed_plugins()["wrapper"]


@pytest.mark.guarantee("plugins")
def test_a_hook_without_the_register_argument_registers_nothing(monkeypatch):
    """pluggy passes only the arguments a hook names; one that names none is still called."""
    monkeypatch.setenv(AUTOLOAD_ENV, "1")
    called = []

    class Quiet:
        @lk.hookimpl
        def register_activations(self):
            called.append(True)

    lk.plugin_manager().register(Quiet(), name="quiet")
    assert set(lk.activations()) == {"sigmoid"}
    assert called == [True] and lk.failed_plugins() == {}


@pytest.mark.guarantee("plugins")
def test_an_entry_point_name_two_distributions_use_is_reported(installed):
    """The second distribution's plugin of the same name is not loaded silently."""
    installed(
        FakeDistribution("layerkit-cube", {"cube": "fake_cube"}),
        FakeDistribution("layerkit-cube-fork", {"cube": "fake_cube_fork"}, "9.9"),
        modules={
            "fake_cube": plugin_module("fake_cube", register_activations=cube_plugin),
            "fake_cube_fork": plugin_module("fake_cube_fork", register_losses=absolute_plugin),
        },
    )
    with pytest.warns(PluginWarning, match="layerkit-cube-fork 9.9 is not loaded"):
        assert lk.activations()["cube"].distribution == "layerkit-cube"
    [(name, reason)] = lk.failed_plugins().items()
    assert "layerkit-cube-fork" in name and "already has that name" in reason


@pytest.mark.guarantee("plugins")
@pytest.mark.filterwarnings("ignore::layerkit.registry.PluginWarning")
def test_names_with_newlines_do_not_break_the_one_line_reason(installed):
    installed(
        FakeDistribution("layerkit-evil\nname", {"evil\nentry": "fake_evil"}, version="1\n2"),
        FakeDistribution("layerkit-evil\nname", {"evil\nentry": "fake_evil"}, version="1\n2"),
        modules={"fake_evil": plugin_module("fake_evil", register_activations=cube_plugin)},
    )
    assert lk.activations()["cube"].distribution == "layerkit-evil name"
    [(name, reason)] = lk.failed_plugins().items()
    assert "already has that name" in reason
    assert "\n" not in name and "\n" not in reason


@pytest.mark.guarantee("plugins")
@pytest.mark.filterwarnings("ignore::layerkit.registry.PluginWarning")
def test_a_plugin_resetting_the_registry_while_imported_breaks_nothing(monkeypatch, tmp_path):
    """plugin_manager() used to return None to the lookup that was loading the plugins."""
    resets = Broken(
        "resets",
        "no @layerkit.hookimpl functions",
        source="import layerkit.registry\nlayerkit.registry.reset_plugin_manager()\n",
    )
    resets.install(monkeypatch, tmp_path)
    assert set(lk.activations()) == {"sigmoid"}
    assert "no @layerkit.hookimpl functions" in lk.failed_plugins()["bad"]


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


# ------------------------------------------------------------------- building components
class Scaled(lk.Activation):
    """y = x / scale, with a constructor that can fail in ordinary Python ways."""

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = 1 / float(scale)

    def function(self, x):
        return x * self.scale

    def derivative(self, x, y):
        return np.full_like(x, self.scale)


class Exiting(lk.Activation):
    """An activation whose constructor ends the program, if it may."""

    def __init__(self) -> None:
        sys.exit(2)


@pytest.fixture
def scaled(monkeypatch):
    """The activations "scaled" and "exiting" from a plugin registered at run time as "scales"."""
    monkeypatch.setenv(AUTOLOAD_ENV, "1")

    class Scales:
        @lk.hookimpl
        def register_activations(self, register):
            register("scaled", Scaled)
            register("exiting", Exiting)

    lk.plugin_manager().register(Scales(), name="scales")


@pytest.mark.guarantee("plugins")
@pytest.mark.parametrize(
    ("name", "options", "original"),
    [
        ("sigmoid", {"bogus": 1}, TypeError),
        ("scaled", {"scale": 10**400}, OverflowError),
        ("scaled", {"scale": "wide"}, ValueError),
        ("scaled", {"scale": 0}, ZeroDivisionError),
        ("scaled", {"scale": None}, TypeError),
        ("scaled", {"scale": 1, "extra": 2}, TypeError),
        ("exiting", {}, SystemExit),
    ],
)
def test_a_constructor_error_is_a_configuration_error(scaled, name, options, original):
    """It names the kind, the name, the plugin and the options, chained to the original."""
    with pytest.raises(ConfigurationError) as caught:
        lk.activation(name, **options)
    message = str(caught.value)
    plugin = "layerkit" if name == "sigmoid" else "scales"
    assert f"cannot build activation '{name}' from plugin '{plugin}'" in message
    assert all(option in message for option in options) and original.__name__ in message
    assert isinstance(caught.value.__cause__, original)
    assert isinstance(caught.value, ValueError) and "\n" not in message


class NotReally(lk.Activation):
    """A class whose constructor hands back something that is not a layer."""

    def __new__(cls, **options):
        return "not a layer"


class SpoilsItsNotes(lk.Activation):
    """Raises a layerkit error whose notes cannot be added to."""

    def __init__(self) -> None:
        error = ConfigurationError("no")
        error.__notes__ = "not a list"
        raise error


@pytest.mark.guarantee("plugins")
def test_a_constructor_returning_something_else_is_a_plugin_error(monkeypatch):
    monkeypatch.setenv(AUTOLOAD_ENV, "1")

    class Odd:
        @lk.hookimpl
        def register_activations(self, register):
            register("not_really", NotReally)
            register("spoils", SpoilsItsNotes)

    lk.plugin_manager().register(Odd(), name="odd")
    with pytest.raises(
        PluginError, match=r"returned 'not a layer', which is not a layerkit\.Layer"
    ):
        lk.activation("not_really")
    with pytest.raises(ConfigurationError, match="no"):
        lk.activation("spoils")


@pytest.mark.guarantee("plugins")
def test_a_very_long_unknown_name_fails_fast():
    """No close-match search over a name of ten million characters (it took seconds)."""
    start = time.perf_counter()
    with pytest.raises(UnknownComponentError) as caught:
        lk.activation("a" * 10_000_000)
    assert time.perf_counter() - start < 1.0
    assert len(str(caught.value)) < 1000


@pytest.mark.guarantee("plugins")
def test_a_layerkit_error_from_a_constructor_passes_through_with_a_note():
    """An error that already is a layerkit error keeps its type; a note says what was built."""
    with pytest.raises(ConfigurationError, match="'mean' or 'sum'") as caught:
        lk.loss("l2", reduction="median")
    assert caught.value.__cause__ is None
    assert caught.value.__notes__ == [
        "while building loss 'l2' from plugin 'layerkit' with options {'reduction': 'median'}"
    ]


@pytest.mark.guarantee("plugins")
@pytest.mark.filterwarnings("ignore::layerkit.registry.PluginWarning")
def test_the_lookup_of_a_set_aside_plugins_name_says_why(installed):
    def half(register):
        register("cube", Cube)
        raise RuntimeError("boom")

    installed(
        FakeDistribution("layerkit-half", {"half": "fake_half"}),
        modules={"fake_half": plugin_module("fake_half", register_activations=half)},
    )
    with pytest.raises(UnknownComponentError) as caught:
        lk.activation("cube")
    message = str(caught.value)
    assert "no activation named 'cube'" in message and "was set aside" in message
    assert "plugin 'half'" in message and "RuntimeError: boom" in message


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
