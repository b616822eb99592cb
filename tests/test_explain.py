"""`layerkit.explain`: its numbers are the library's, its formulas are the derivation's."""

from __future__ import annotations

import copy
import json
import types

import numpy as np
import pytest

import layerkit as lk
from layerkit.errors import ConfigurationError, ShapeError
from layerkit.explain import WORKED_EXAMPLE, explain, worked_example
from layerkit.registry import reset_plugin_manager


@pytest.fixture(autouse=True)
def fresh_plugins():
    reset_plugin_manager()
    yield
    reset_plugin_manager()


class Cube(lk.Activation):
    def function(self, x):
        return x**3

    def derivative(self, x, y):
        return 3 * x**2


class Normalize(lk.Layer):
    """A non-elementwise activation: y = x / Σx, with its own backward."""

    def forward(self, x):
        self._x = np.asarray(x, dtype=float)
        self._s = self._x.sum(axis=-1, keepdims=True)
        return self._x / self._s

    def backward(self, grad):
        return (grad - np.sum(grad * self._x, axis=-1, keepdims=True) / self._s) / self._s


def register(**activations: type) -> None:
    module = types.ModuleType("test_explain_plugin")

    def register_activations(register):
        for name, cls in activations.items():
            register(name, cls)

    module.register_activations = lk.hookimpl(register_activations)
    lk.plugin_manager().register(module, name="test_explain_plugin")


def library_gradients(model, x, t, loss=None):
    """∂L/∂θ from Sequential's own forward and backward, on a copy of the model."""
    model = copy.deepcopy(model)
    loss = loss or lk.L2Loss()
    loss.forward(model.forward(np.atleast_2d(x)), np.atleast_2d(t))
    model.backward(loss.backward())
    return {p.name: p.grad for p in model.parameters()}


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def test_worked_example_equals_the_closed_forms():
    net, x, t = worked_example()
    e = explain(net, x, t)
    w, b1, u, b2 = (np.array(WORKED_EXAMPLE[name]) for name in ("w", "b1", "u", "b2"))
    a1 = x @ w + b1
    h = sigmoid(a1)
    a2 = h @ u + b2
    y = sigmoid(a2)
    delta2 = (y - t) * y * (1 - y)  # δₖ = (yₖ − tₖ)yₖ(1 − yₖ)
    delta1 = h * (1 - h) * (u @ delta2)  # δⱼ = hⱼ(1 − hⱼ)Σₖδₖuⱼₖ
    expected = {
        "a⁽¹⁾": a1,
        "h": h,
        "a⁽²⁾": a2,
        "y": y,
        "L": 0.5 * np.sum((y - t) ** 2),
        "∂L/∂y": y - t,
        "δ⁽²⁾": delta2,
        "∂L/∂u": np.outer(h, delta2),
        "∂L/∂b⁽²⁾": delta2,
        "∂L/∂h": u @ delta2,
        "δ⁽¹⁾": delta1,
        "∂L/∂w": np.outer(x, delta1),
        "∂L/∂b⁽¹⁾": delta1,
        "∂L/∂x": w @ delta1,
    }
    for symbol, value in expected.items():
        np.testing.assert_allclose(e[symbol].value, value, rtol=1e-12, err_msg=symbol)
    np.testing.assert_allclose(e["a⁽¹⁾"].value, [0.3775, 0.3425, 0.3075], rtol=1e-15)  # by hand
    assert e.loss == float(e["L"].value)


def test_formulas_of_the_derivation():
    e = explain(*worked_example())
    formulas = {step.symbol: step.formula for step in e}
    # The derivation's one lettering: i counts inputs, j hidden units, k outputs.
    assert formulas == {
        "x": "x: the input sample",
        "t": "t: its target",
        "w": "wᵢⱼ connects xᵢ to a⁽¹⁾ⱼ",
        "b⁽¹⁾": "b⁽¹⁾ⱼ: the bias of unit j",
        "u": "uⱼₖ connects hⱼ to a⁽²⁾ₖ",
        "b⁽²⁾": "b⁽²⁾ₖ: the bias of unit k",
        "a⁽¹⁾": "a⁽¹⁾ⱼ = Σᵢ xᵢ wᵢⱼ + b⁽¹⁾ⱼ",
        "h": "hⱼ = σ(a⁽¹⁾ⱼ)",
        "a⁽²⁾": "a⁽²⁾ₖ = Σⱼ hⱼ uⱼₖ + b⁽²⁾ₖ",
        "y": "yₖ = σ(a⁽²⁾ₖ)",
        "L": "L = ½ Σₖ (yₖ − tₖ)²",
        "∂L/∂y": "∂L/∂yₖ = yₖ − tₖ",
        "δ⁽²⁾": "δ⁽²⁾ₖ = (yₖ − tₖ) yₖ(1 − yₖ)",
        "∂L/∂u": "∂L/∂uⱼₖ = hⱼ δ⁽²⁾ₖ",
        "∂L/∂b⁽²⁾": "∂L/∂b⁽²⁾ₖ = δ⁽²⁾ₖ",
        "∂L/∂h": "∂L/∂hⱼ = Σₖ δ⁽²⁾ₖ uⱼₖ",
        "δ⁽¹⁾": "δ⁽¹⁾ⱼ = hⱼ(1 − hⱼ) Σₖ δ⁽²⁾ₖ uⱼₖ",
        "∂L/∂w": "∂L/∂wᵢⱼ = xᵢ δ⁽¹⁾ⱼ",
        "∂L/∂b⁽¹⁾": "∂L/∂b⁽¹⁾ⱼ = δ⁽¹⁾ⱼ",
        "∂L/∂x": "∂L/∂xᵢ = Σⱼ δ⁽¹⁾ⱼ wᵢⱼ",
    }
    assert [s.phase for s in e].index("forward") == 6  # x, t, w, b⁽¹⁾, u, b⁽²⁾ come first
    assert e["δ⁽¹⁾"].source == "Sigmoid.backward"


def test_other_depths_letter_each_layer_i_to_j_with_k_above():
    net = lk.Sequential(
        lk.Dense(2, 3), lk.Sigmoid(), lk.Dense(3, 3), lk.Sigmoid(), lk.Dense(3, 1), lk.Sigmoid()
    )
    formulas = {step.symbol: step.formula for step in explain(net, [0.1, 0.2], [0.5])}
    assert formulas["W⁽²⁾"] == "W⁽²⁾ᵢⱼ connects h⁽¹⁾ᵢ to a⁽²⁾ⱼ"
    assert formulas["δ⁽²⁾"] == "δ⁽²⁾ⱼ = h⁽²⁾ⱼ(1 − h⁽²⁾ⱼ) Σₖ δ⁽³⁾ₖ W⁽³⁾ⱼₖ"
    assert formulas["δ⁽³⁾"] == "δ⁽³⁾ⱼ = (yⱼ − tⱼ) yⱼ(1 − yⱼ)"
    assert formulas["L"] == "L = ½ Σⱼ (yⱼ − tⱼ)²"


@pytest.mark.parametrize(
    ("sizes", "activation", "output"),
    [
        ([3, 2], "sigmoid", "sigmoid"),
        ([2, 3, 2], "sigmoid", None),
        ([2, 4, 3, 2], "cube", "sigmoid"),
        ([3, 5, 4, 4, 2], "sigmoid", "cube"),
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numbers_are_exactly_the_library_gradients(sizes, activation, output, dtype):
    register(cube=Cube)
    net = lk.mlp(sizes, activation, output, seed=7, dtype=dtype)
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, sizes[0]).astype(dtype)
    t = rng.uniform(0, 1, sizes[-1]).astype(dtype)
    before = [p.value.copy() for p in net.parameters()]
    e = explain(net, x, t)
    gradients = library_gradients(net, x, t)
    depth = len(sizes) - 1
    for number in range(1, depth + 1):
        weight = ("w", "u")[number - 1] if depth == 2 else f"W{'⁽' + '¹²³⁴'[number - 1] + '⁾'}"
        position = 2 * (number - 1)
        assert np.array_equal(e[f"∂L/∂{weight}"].value, gradients[f"{position}.W"])
        assert np.array_equal(e[f"∂L/∂b⁽{'¹²³⁴'[number - 1]}⁾"].value, gradients[f"{position}.b"])
        assert e[f"∂L/∂{weight}"].value.dtype == dtype
    for now, then in zip(net.parameters(), before, strict=True):
        assert np.array_equal(now.value, then)  # explaining does not train


def test_gradients_agree_with_finite_differences():
    net = lk.mlp([2, 3, 3, 2], seed=3)
    x, t = np.array([0.2, -0.4]), np.array([0.1, 0.8])
    e = explain(net, x, t)

    def loss_at(model):
        return lk.L2Loss()(model(x[None]), t[None])

    step = 1e-6
    for symbol, position in (("∂L/∂W⁽¹⁾", 0), ("∂L/∂W⁽³⁾", 4)):
        numeric = np.zeros_like(net[position].W)
        for index in np.ndindex(numeric.shape):
            plus, minus = copy.deepcopy(net), copy.deepcopy(net)
            plus[position].W[index] += step
            minus[position].W[index] -= step
            numeric[index] = (loss_at(plus) - loss_at(minus)) / (2 * step)
        np.testing.assert_allclose(e[symbol].value, numeric, rtol=1e-6, atol=1e-10)


def test_generic_labels_for_other_activations_and_linear_layers():
    register(cube=Cube, normalize=Normalize)
    net = lk.Sequential(
        lk.Dense(2, 3, seed=0), Cube(), lk.Dense(3, 3, seed=1), lk.Dense(3, 2, seed=2), Normalize()
    )
    e = explain(net, [0.5, 0.25], [0.3, 0.7])
    formulas = {step.symbol: step.formula for step in e}
    assert formulas["h⁽¹⁾"] == "h⁽¹⁾ⱼ = cube(a⁽¹⁾ⱼ)"
    assert formulas["δ⁽¹⁾"] == "δ⁽¹⁾ = φ'(a⁽¹⁾) ⊙ (δ⁽²⁾ W⁽²⁾ᵀ), φ = cube"
    assert formulas["h⁽²⁾"].startswith("h⁽²⁾ⱼ = a⁽²⁾ⱼ = Σᵢ")  # a Dense with no activation
    assert "linear layer" in formulas["δ⁽²⁾"]
    assert formulas["y"] == "y = normalize(a⁽³⁾)"
    assert formulas["δ⁽³⁾"] == "δ⁽³⁾ = ∂L/∂y · ∂y/∂a⁽³⁾ (the Jacobian of normalize)"
    gradients = library_gradients(net, np.array([0.5, 0.25]), np.array([0.3, 0.7]))
    assert np.array_equal(e["∂L/∂W⁽¹⁾"].value, gradients["0.W"])
    assert np.array_equal(e["∂L/∂W⁽³⁾"].value, gradients["3.W"])


def test_to_dict_is_json():
    document = json.loads(json.dumps(explain(*worked_example()).to_dict(), ensure_ascii=False))
    assert document["steps"][0] == {
        "phase": "given",
        "symbol": "x",
        "formula": "x: the input sample",
        "source": "given",
        "layer": None,
        "shape": [2],
        "value": [0.05, 0.1],
    }


def test_unsupported_networks_and_samples():
    with pytest.raises(ConfigurationError, match="at most one activation"):
        explain(lk.Sequential(lk.Dense(2, 2), lk.Sigmoid(), lk.Sigmoid()), [0, 1], [0, 1])
    with pytest.raises(ConfigurationError, match="before the first Dense"):
        explain(lk.Sequential(lk.Sigmoid(), lk.Dense(2, 2)), [0, 1], [0, 1])
    with pytest.raises(ShapeError, match="one sample"):
        explain(lk.mlp([2, 2]), np.ones((2, 2)), [0, 1])
    with pytest.raises(KeyError, match="no step 'z'"):
        explain(*worked_example())["z"]
