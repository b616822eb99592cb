"""Extreme inputs (±1e4) give finite results with no warning; float32 stays float32."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from layerkit_activations import ELU, GELU, LeakyReLU, ReLU, Softmax, Softplus, Tanh

ALL = [Tanh(), ReLU(), LeakyReLU(), Softplus(), ELU(), GELU(), Softmax()]
EXTREMES = [-1e4, -100.0, -1.0, 0.0, 1.0, 100.0, 1e4]


def run_strictly(activation, x):
    """Forward and backward with every warning and floating-point error raised."""
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        y = activation(x)
        dx = activation.backward(np.ones_like(y))
    return y, dx


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", ALL, ids=repr)
def test_extreme_inputs_are_finite_and_keep_dtype(activation, dtype):
    x = np.array([EXTREMES, EXTREMES[::-1]], dtype=dtype)
    y, dx = run_strictly(activation, x)
    assert y.dtype == dtype and dx.dtype == dtype
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(dx))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_saturated_values(dtype):
    x = np.array([-1e4, 1e4], dtype=dtype)
    assert Tanh()(x).tolist() == [-1.0, 1.0]
    assert Softplus()(x).tolist() == [0.0, 1e4]
    assert ELU(alpha=2.0)(x).tolist() == [-2.0, 1e4]
    assert GELU()(x).tolist() == [0.0, 1e4]
    assert Softmax()(np.array([[1e4, -1e4], [1e4, 1e4]], dtype=dtype)).tolist() == [
        [1.0, 0.0],
        [0.5, 0.5],
    ]


@pytest.mark.parametrize("activation", ALL, ids=repr)
def test_float32_gradient_of_another_dtype_is_converted(activation):
    y = activation(np.ones((2, 3), dtype=np.float32))
    assert activation.backward(np.ones(y.shape, dtype=np.float64)).dtype == np.float32


@pytest.mark.parametrize("activation", ALL, ids=repr)
def test_input_and_gradient_are_not_modified(activation):
    x, grad = np.array([[-2.0, 0.5, 3.0]]), np.array([[1.0, -1.0, 2.0]])
    x_kept, grad_kept = x.copy(), grad.copy()
    activation(x)
    activation.backward(grad)
    assert np.array_equal(x, x_kept) and np.array_equal(grad, grad_kept)


@pytest.mark.parametrize("activation", ALL, ids=repr)
@given(x=arrays(np.float64, (2, 3), elements=st.floats(-1e6, 1e6)))
def test_any_moderate_input_is_finite(activation, x):
    y, dx = run_strictly(activation, x)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(dx))
