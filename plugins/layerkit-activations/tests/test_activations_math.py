"""Values against plain-Python references, and gradients against finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest

from layerkit import gradcheck
from layerkit_activations import ELU, GELU, LeakyReLU, ReLU, Softmax, Softplus, Tanh

POINTS = [-3.0, -0.5, 0.0, 0.25, 2.0]


def gelu_tanh(x: float) -> float:
    return 0.5 * x * (1 + math.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def gelu_exact(x: float) -> float:
    return 0.5 * x * (1 + math.erf(x / math.sqrt(2)))


REFERENCES = [
    (Tanh(), math.tanh),
    (ReLU(), lambda x: max(x, 0.0)),
    (LeakyReLU(), lambda x: x if x > 0 else 0.01 * x),
    (LeakyReLU(slope=0.2), lambda x: x if x > 0 else 0.2 * x),
    (Softplus(), lambda x: math.log(1 + math.exp(x))),
    (ELU(), lambda x: x if x > 0 else math.exp(x) - 1),
    (ELU(alpha=0.5), lambda x: x if x > 0 else 0.5 * (math.exp(x) - 1)),
    (GELU(), gelu_tanh),
]


@pytest.mark.parametrize(("activation", "reference"), REFERENCES, ids=repr)
def test_values_match_reference(activation, reference):
    y = activation(np.array(POINTS))
    np.testing.assert_allclose(y, [reference(x) for x in POINTS], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("activation", "reference"), REFERENCES, ids=repr)
def test_derivative_matches_central_difference_of_reference(activation, reference):
    points = [x for x in POINTS if x != 0.0]  # 0 is a kink of relu, leaky_relu, elu(α ≠ 1)
    activation(np.array(points))
    h = 1e-6
    expected = [(reference(x + h) - reference(x - h)) / (2 * h) for x in points]
    np.testing.assert_allclose(activation.backward(np.ones(len(points))), expected, rtol=1e-7)


ALL = [Tanh(), ReLU(), LeakyReLU(), LeakyReLU(slope=0.3), Softplus(), ELU(), ELU(alpha=2.0)]
ALL += [GELU(), Softmax()]


@pytest.mark.parametrize("activation", ALL, ids=repr)
def test_gradcheck(activation):
    x = np.random.default_rng(0).standard_normal((4, 5)) * 3
    x[np.abs(x) < 0.1] = 0.5  # away from the kink at 0
    errors = gradcheck(activation, x)
    assert errors["input"] < 1e-6


def test_subgradient_at_zero():
    x = np.zeros(1)
    for activation, slope in [(ReLU(), 0.0), (LeakyReLU(slope=0.1), 0.1), (ELU(), 1.0)]:
        activation(x)
        assert activation.backward(np.ones(1))[0] == slope


def test_gelu_tanh_approximation_is_close_to_exact():
    x = np.linspace(-6, 6, 241)
    exact = np.array([gelu_exact(v) for v in x])
    assert np.max(np.abs(GELU()(x) - exact)) < 5e-4


def test_softmax_rows_match_reference():
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 5.0]])
    expected = [[math.exp(v) / sum(math.exp(w) for w in row) for v in row] for row in x]
    y = Softmax()(x)
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=1e-15)


def test_softmax_backward_is_jacobian_vector_product():
    x = np.random.default_rng(1).standard_normal((3, 4))
    g = np.random.default_rng(2).standard_normal((3, 4))
    softmax = Softmax()
    y = softmax(x)
    dx = softmax.backward(g)
    for row in range(3):
        jacobian = np.diag(y[row]) - np.outer(y[row], y[row])  # ∂yᵢ/∂xⱼ = yᵢ(δᵢⱼ − yⱼ)
        np.testing.assert_allclose(dx[row], jacobian.T @ g[row], rtol=1e-12, atol=1e-15)


def test_softmax_accepts_a_sample_and_higher_rank():
    x = np.random.default_rng(3).standard_normal((2, 3, 4))
    y = Softmax()(x)
    np.testing.assert_allclose(y[1, 2], Softmax()(x[1, 2]), rtol=1e-15)
