"""The in-place, allocation-saving code paths give the results of the plain formulas.

layerkit computes σ in place, adds the bias in place, skips keeping inputs an activation's
derivative does not need, reuses the gradient arrays of the last backward, and (in
backward_step) updates each layer right after its backward. These tests train
with the library and with the textbook formulas written naively in NumPy, side by side, and
require the same numbers (to rounding) and the same dtype at every step.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerkit as lk

RTOL = {np.float32: 2e-6, np.float64: 1e-13}


def straightforward_step(weights, x, t, lr):
    """One SGD step of a sigmoid MLP with L2 loss, exactly as the derivation writes it."""
    outputs = [x]
    for W, b in weights:
        outputs.append(1.0 / (1.0 + np.exp(-(outputs[-1] @ W + b))))
    batch = len(x)
    loss = 0.5 * np.sum((outputs[-1] - t) ** 2) / batch
    g = (outputs[-1] - t) / batch
    updated = []
    for layer in reversed(range(len(weights))):
        W, b = weights[layer]
        y = outputs[layer + 1]
        delta = g * y * (1 - y)
        g = delta @ W.T
        updated.append((W - lr * (outputs[layer].T @ delta), b - lr * delta.sum(axis=0)))
    return loss, updated[::-1], g


@pytest.mark.parametrize("fused", [False, True], ids=["backward-then-step", "backward_step"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sizes", [[2, 3, 2], [6, 8, 8, 3], [5, 4, 4, 4, 4, 1]])
def test_training_matches_the_plain_formulas(dtype, sizes, fused):
    rng = np.random.default_rng(len(sizes))
    x = rng.standard_normal((7, sizes[0])).astype(dtype)
    t = rng.uniform(size=(7, sizes[-1])).astype(dtype)
    net = lk.mlp(sizes, seed=3, dtype=dtype)
    parameters = net.parameters()  # W, b, W, b, ...
    weights = [
        (W.value.copy(), b.value.copy())
        for W, b in zip(parameters[::2], parameters[1::2], strict=True)
    ]
    loss, sgd = lk.L2Loss(), lk.SGD(0.5)
    for _ in range(5):
        value = loss.forward(net(x), t)
        if fused:
            input_gradient = net.backward_step(loss.backward(), sgd)
        else:
            input_gradient = net.backward(loss.backward())
            sgd.step(net)
        expected_value, weights, expected_gradient = straightforward_step(weights, x, t, 0.5)
        np.testing.assert_allclose(value, expected_value, rtol=RTOL[dtype])
        np.testing.assert_allclose(input_gradient, expected_gradient, rtol=RTOL[dtype] * 10)
        assert input_gradient.dtype == dtype
        expected_arrays = [array for pair in weights for array in pair]
        for parameter, expected in zip(net.parameters(), expected_arrays, strict=True):
            assert parameter.value.dtype == dtype
            assert parameter.grad is None if fused else parameter.grad.dtype == dtype
            np.testing.assert_allclose(parameter.value, expected, rtol=RTOL[dtype], atol=1e-7)


def test_sigmoid_keeps_only_its_output():
    """σ' is written with y alone, so forward does not keep the input alive until backward."""
    sigmoid = lk.Sigmoid()
    sigmoid(np.ones(3))
    assert sigmoid._x is None and sigmoid._y is not None


def test_dense_keeps_no_output():
    """Dense remembers only the shape of its output (to check ∂L/∂a), not the array."""
    dense = lk.Dense(2, 3, seed=0)
    a = dense(np.ones((4, 2)))
    assert dense._out_shape == a.shape
    assert not any(value is a for value in vars(dense).values())


def test_outputs_are_fresh_arrays():
    """In-place arithmetic never reaches an array the caller holds: each call returns a new
    array, and earlier outputs keep their values."""
    net = lk.mlp([2, 3, 2], seed=0)
    first = net(np.array([[0.0, 1.0]]))
    kept = first.copy()
    second = net(np.array([[1.0, 0.0]]))
    assert second is not first
    np.testing.assert_array_equal(first, kept)


class Cube(lk.Activation):
    """y = x³, whose derivative 3x² is a new array it also records, to see where backward writes."""

    def __init__(self) -> None:
        self.slopes: list[np.ndarray] = []

    def function(self, x):
        return x**3

    def derivative(self, x, y):
        self.slopes.append(3.0 * x * x)
        return self.slopes[-1]


class CubeReturningNew(Cube):
    derivative_returns_new = True


@pytest.mark.parametrize("activation", [Cube, CubeReturningNew])
def test_backward_multiplies_into_the_derivative_only_when_it_is_declared_new(activation):
    """With derivative_returns_new, ∂L/∂x is written into φ'(x)'s array instead of a second
    one; without it, φ'(x) is left as derivative returned it. The numbers are the same."""
    cube = activation()
    x = np.array([[0.5, -2.0], [1.5, 3.0]])
    grad = np.array([[1.0, 0.25], [-2.0, 0.1]])
    grad_kept = grad.copy()
    cube(x)
    result = cube.backward(grad)
    np.testing.assert_array_equal(result, grad_kept * (3.0 * x * x))
    np.testing.assert_array_equal(grad, grad_kept)
    assert (result is cube.slopes[0]) == activation.derivative_returns_new
    if not activation.derivative_returns_new:
        np.testing.assert_array_equal(cube.slopes[0], 3.0 * x * x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3)], ids=["0-d", "sample", "batch"])
def test_sigmoid_backward_in_place_is_the_plain_formula(shape, dtype):
    """σ's backward, computed into 1 − y, equals ∂L/∂y · y(1 − y) bit for bit, in the dtype."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype(dtype)
    grad = rng.normal(size=shape).astype(dtype)
    sigmoid = lk.Sigmoid()
    y = sigmoid(x)
    result = sigmoid.backward(grad)
    assert result.dtype == dtype and result.shape == shape
    np.testing.assert_array_equal(result, grad * (y * (1 - y)))
    assert result is not grad and result is not y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch", [1, 7, 512])
def test_bias_gradient_is_the_sum_over_the_batch(batch, dtype):
    """∂L/∂b, computed as 1ᵀδ, is Σ δ over the batch to rounding, in the dtype; backward_step
    takes exactly that step; the shared vector of ones cannot be written to."""
    rng = np.random.default_rng(batch)
    x = rng.normal(size=(batch, 5)).astype(dtype)
    delta = rng.normal(size=(batch, 3)).astype(dtype)
    dense = lk.Dense(5, 3, seed=0, dtype=dtype)
    b_kept = dense.b.copy()
    dense(x)
    dense.backward(delta)
    db = dense.db.copy()
    assert db.dtype == dtype
    np.testing.assert_allclose(db, delta.astype(np.float64).sum(axis=0), rtol=RTOL[dtype] * batch)
    dense.backward_step(delta, lk.SGD(lr=1.0))  # η = 1: the step is exactly −∂L/∂b
    np.testing.assert_array_equal(dense.b, b_kept - db)
    with pytest.raises(ValueError, match="read-only"):
        lk.dense._ones(batch, np.dtype(dtype))[0] = 2.0
