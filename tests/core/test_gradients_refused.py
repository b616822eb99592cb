"""Non-finite and misshapen gradients are refused before they reach any parameter.

Optimizer.step is the boundary between the gradients backward stored and the parameters:
it checks every gradient first, so a bad one in the last layer leaves the others untouched.
"""

from __future__ import annotations

import numpy as np
import pytest
from toy_layers import Amplifier

import layerkit as lk
from layerkit.errors import (
    ComponentTypeError,
    DTypeError,
    NonFiniteError,
    ShapeError,
    TrainingDivergedError,
)

pytestmark = pytest.mark.guarantee("gradients")

X = np.array([[0.3, -0.7], [1.0, 0.5]])


def network_with_gradients() -> lk.Sequential:
    net = lk.Sequential(lk.Dense(2, 3, seed=0), lk.Sigmoid(), lk.Dense(3, 2, seed=1), lk.Sigmoid())
    net.backward(np.ones_like(net(X)))
    return net


def values(net: lk.Layer) -> dict[str, np.ndarray]:
    return {p.name: p.value.copy() for p in net.parameters()}


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_a_non_finite_gradient_changes_no_parameter(bad, momentum):
    """NaN in the last layer's bias gradient: NonFiniteError naming "2.b", and layer 0,
    updated first in the loop, is untouched too."""
    net = network_with_gradients()
    net[2].db[1] = bad
    before = values(net)
    with pytest.raises(NonFiniteError, match=r"'2\.b'.*no parameter was changed"):
        lk.SGD(0.1, momentum=momentum).step(net)
    for name, value in values(net).items():
        np.testing.assert_array_equal(value, before[name], name)


@pytest.mark.parametrize(
    "gradient, error, words",
    [
        (np.ones((3, 3)), ShapeError, "shape (3, 3)"),  # broadcastable into W (2, 3) before
        (np.ones((1, 3)), ShapeError, "shape (1, 3)"),
        (np.ones((2, 3), dtype=np.float32), DTypeError, "float32"),
        ([[1.0, 1.0, 1.0]] * 2, ShapeError, "list"),
    ],
    ids=["too-many-rows", "broadcastable", "other-dtype", "a-list"],
)
def test_a_gradient_unlike_its_parameter_is_refused(gradient, error, words):
    """Before, a (1, 3) gradient was broadcast into W silently and a (3, 3) one failed with
    NumPy's broadcasting ValueError."""
    net = network_with_gradients()
    net[0].dW = gradient
    before = values(net)
    with pytest.raises(error, match=r"'0\.W'") as caught:
        lk.SGD(0.1).step(net)
    assert words in str(caught.value)
    assert all(np.array_equal(v, before[k]) for k, v in values(net).items())


@pytest.mark.parametrize("junk", [5, "net", None, [1, 2]])
def test_step_of_something_that_is_not_a_model(junk):
    with pytest.raises(ComponentTypeError, match="expects a Layer or an iterable of Parameter"):
        lk.SGD(0.1).step(junk)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_sequential_backward_refuses_a_non_finite_gradient(bad):
    """The gradient a user hands to net.backward is checked once, before any layer."""
    net = lk.Sequential(lk.Dense(2, 3, seed=0), lk.Sigmoid())
    grad = np.ones_like(net(X))
    grad[1, 2] = bad
    with pytest.raises(NonFiniteError, match="gradient"):
        net.backward(grad)
    assert net[0].dW is None  # no layer ran


class NaNGradient(Amplifier):
    """A custom layer whose backward stores NaN as its gradient from the third call on."""

    calls = 0

    def backward(self, grad):
        NaNGradient.calls += 1
        result = super().backward(grad)
        if NaNGradient.calls >= 3:
            self.dg[:] = np.nan
        return result


def test_fit_with_a_custom_layer_that_makes_nan_gradients_is_divergence():
    """Layer.backward_step calls optimizer.step, which refuses the NaN: fit reports it as
    divergence and leaves the parameters finite."""
    NaNGradient.calls = 0
    net = lk.Sequential(lk.Dense(2, 2, seed=0), NaNGradient())
    t = np.array([[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(TrainingDivergedError, match="a gradient was not finite"):
        lk.fit(net, X, t, loss=lk.L2Loss(), optimizer=lk.SGD(0.1), epochs=5)
    assert all(np.all(np.isfinite(p.value)) for p in net.parameters())


class IntegerGain(Amplifier):
    """A custom layer whose parameter is an integer array, which no step can move in place."""

    def __init__(self):
        super().__init__()
        self.g = np.array([2])


def test_a_parameter_that_is_not_a_float_array_is_named():
    """Before: NumPy's UFuncTypeError (a bare TypeError) from w -= η g."""
    layer = IntegerGain()
    layer.forward(X)
    layer.backward(np.ones_like(X))
    with pytest.raises(DTypeError, match=r"'g'.*float32 or float64"):
        lk.SGD(0.1).step(layer)
