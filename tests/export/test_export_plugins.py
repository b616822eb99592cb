"""The export_onnx_nodes hook: a plugin writes its own layer, and a broken one is set aside.

Plugins are registered at run time on a fresh plugin manager and unregistered in ``finally``.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import onnx
import pytest

import layerkit as lk
from layerkit.errors import ExportError
from layerkit.registry import PluginWarning, reset_plugin_manager

from .onnx_support import assert_agrees, session


@pytest.fixture(autouse=True)
def fresh_manager():
    reset_plugin_manager()
    yield
    reset_plugin_manager()


@contextlib.contextmanager
def registered(plugin: object, name: str):
    manager = lk.plugin_manager()
    manager.register(plugin, name=name)
    try:
        yield
    finally:
        manager.unregister(name=name)


class Swish(lk.Activation):
    """y = x σ(x), an activation of a third-party plugin."""

    def function(self, x):
        return x / (1.0 + np.exp(-x))

    def derivative(self, x, y):
        s = 1.0 / (1.0 + np.exp(-x))
        return s + x * s * (1.0 - s)


class Residual(lk.Layer):
    """y = x + f(x) for a layer f of the same width: a container, exported through its child."""

    def __init__(self, inner: lk.Layer) -> None:
        self.inner = inner

    def forward(self, x):
        return np.asarray(x) + self.inner.forward(x)

    def backward(self, grad):
        return grad + self.inner.backward(grad)

    def parameters(self, prefix=""):
        return self.inner.parameters(prefix + "inner.")


class SwishPlugin:
    @staticmethod
    @lk.hookimpl
    def export_onnx_nodes(component, graph, input_name):
        if type(component) is Swish:
            return graph.add_node("Mul", [input_name, graph.add_node("Sigmoid", [input_name])])
        if type(component) is Residual:
            inner = graph.add_component(component.inner, input_name)
            return graph.add_node("Add", [input_name, inner])
        return None


class Broken:
    """Adds a node, then raises, for every component it is shown."""

    calls = 0

    @staticmethod
    @lk.hookimpl
    def export_onnx_nodes(component, graph, input_name):
        Broken.calls += 1
        graph.add_node("Neg", [input_name])
        raise RuntimeError("the exporter is broken")


def test_a_plugin_provides_nodes_for_its_own_layers(tmp_path):
    net = lk.Sequential(
        lk.Dense(3, 4, seed=0), Swish(), Residual(lk.Sequential(lk.Dense(4, 4, seed=1), Swish()))
    )
    path = tmp_path / "m.onnx"
    with registered(SwishPlugin, "swish"):
        lk.export_onnx(net, path)
    assert [node.op_type for node in onnx.load(path).graph.node] == [
        "Gemm", "Sigmoid", "Mul", "Gemm", "Sigmoid", "Mul", "Add",
    ]  # fmt: skip
    run = session(path)
    for batch in (5, 1):
        x = np.random.default_rng(batch).normal(size=(batch, 3))
        assert_agrees(run.run(["y"], {"x": x})[0], net(x))
    # not registered by any register_activations hook: the architecture is left out
    assert "layerkit.architecture" not in run.get_modelmeta().custom_metadata_map


def test_a_plugin_whose_hook_raises_is_set_aside_and_its_nodes_removed(tmp_path):
    net = lk.mlp([2, 3, 1], activation="tanh", seed=0)
    Broken.calls = 0
    path = tmp_path / "m.onnx"
    with registered(Broken, "broken"), pytest.warns(PluginWarning) as caught:
        lk.export_onnx(net, path)
    messages = [str(w.message) for w in caught if isinstance(w.message, PluginWarning)]
    assert messages == [
        "plugin 'broken''s export_onnx_nodes raised RuntimeError: the exporter is broken for "
        "Sequential( (0): Dense(2→3) (1): Tanh() (2): Dense(3→1) (3): Sigmoid() ); it is set "
        "aside for this export"
    ]
    assert caught[0].message.plugin == "broken"
    assert Broken.calls == 1  # asked once: not again for the layers inside
    ops = [node.op_type for node in onnx.load(path).graph.node]
    assert ops == ["Gemm", "Tanh", "Gemm", "Sigmoid"]  # its Neg is gone
    x = np.array([[0.5, -1.0]])
    assert_agrees(session(path).run(["y"], {"x": x})[0], net(x))


def test_when_the_only_provider_is_set_aside_the_error_says_why(tmp_path):
    class BrokenSwish:
        @staticmethod
        @lk.hookimpl
        def export_onnx_nodes(component, graph, input_name):
            if type(component) is Swish:
                raise ZeroDivisionError("division by zero")
            return None

    net = lk.Sequential(lk.Dense(1, 1), Swish())
    with registered(BrokenSwish, "swishy"), pytest.warns(PluginWarning, match="swishy"):
        with pytest.raises(ExportError) as caught:
            lk.export_onnx(net, tmp_path / "m.onnx")
    message = str(caught.value)
    assert message.startswith(
        "cannot export Swish() (export.test_export_plugins.Swish, registered by no plugin)"
    )
    assert (
        "plugin 'swishy''s export_onnx_nodes raised ZeroDivisionError: division by zero for Swish()"
        in message
    )
    assert not (tmp_path / "m.onnx").exists()


@pytest.mark.parametrize(
    ("returned", "problem"),
    [
        (42, "returned 42, not the name of a tensor"),
        ("nowhere", "returned 'nowhere', which no node"),
    ],
)
def test_a_hook_returning_no_tensor_is_set_aside(returned, problem, tmp_path):
    class Wrong:
        @staticmethod
        @lk.hookimpl
        def export_onnx_nodes(component, graph, input_name):
            return returned

    with registered(Wrong, "wrong"), pytest.warns(PluginWarning, match=problem):
        lk.export_onnx(lk.Dense(1, 1), tmp_path / "m.onnx")  # the built-in writes it
    assert onnx.load(tmp_path / "m.onnx").graph.node[0].op_type == "Gemm"


def test_a_hook_adding_nodes_but_returning_none_is_set_aside(tmp_path):
    class Forgetful:
        @staticmethod
        @lk.hookimpl
        def export_onnx_nodes(component, graph, input_name):
            graph.add_node("Neg", [input_name])

    with registered(Forgetful, "forgetful"), pytest.warns(PluginWarning, match="returned None"):
        lk.export_onnx(lk.Dense(1, 1), tmp_path / "m.onnx")
    assert [n.op_type for n in onnx.load(tmp_path / "m.onnx").graph.node] == ["Gemm"]


def test_a_hook_reading_an_unknown_tensor_is_set_aside(tmp_path):
    class Lost:
        @staticmethod
        @lk.hookimpl
        def export_onnx_nodes(component, graph, input_name):
            return graph.add_node("Neg", ["elsewhere"])

    with (
        registered(Lost, "lost"),
        pytest.warns(PluginWarning, match=r"Neg node reads \['elsewhere'\]"),
    ):
        lk.export_onnx(lk.Dense(1, 1), tmp_path / "m.onnx")


def test_a_plugin_may_refuse_an_option_with_export_error(tmp_path):
    class Refusing:
        @staticmethod
        @lk.hookimpl
        def export_onnx_nodes(component, graph, input_name):
            if type(component) is Swish:
                raise ExportError("Swish has no ONNX form in this opset")

    with registered(Refusing, "refusing"), warnings.catch_warnings():
        warnings.simplefilter("error")  # a refusal is no broken plugin: no warning
        with pytest.raises(ExportError, match="no ONNX form in this opset") as caught:
            lk.export_onnx(lk.Sequential(lk.Dense(1, 1), Swish()), tmp_path / "m.onnx")
    assert caught.value.__notes__ == ["while plugin 'refusing' exported Swish()"]


def test_a_hook_wrapper_is_set_aside(tmp_path):
    class Wrapper:
        @staticmethod
        @lk.hookimpl(wrapper=True)
        def export_onnx_nodes(component, graph, input_name):
            return (yield)

    with registered(Wrapper, "wrapper"), pytest.warns(PluginWarning, match="as a hook wrapper"):
        lk.export_onnx(lk.Dense(1, 1), tmp_path / "m.onnx")


def test_a_graph_onnx_refuses_is_an_export_error(tmp_path):
    class Nonsense:
        @staticmethod
        @lk.hookimpl
        def export_onnx_nodes(component, graph, input_name):
            return graph.add_node("NoSuchOperator", [input_name])

    with registered(Nonsense, "nonsense"), pytest.raises(ExportError, match=r"fails onnx\.checker"):
        lk.export_onnx(lk.Dense(1, 1), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()
