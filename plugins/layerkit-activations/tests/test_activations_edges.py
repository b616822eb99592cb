"""The activations at the numeric edges: empty batches, 0-d input, every finite value.

Each case gives a finite, correct result of the input's shape and dtype, or a layerkit error
that says what was wrong, never inf, NaN, a RuntimeWarning or a bare NumPy error.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from layerkit.errors import ConfigurationError, NonFiniteError, ShapeError
from layerkit_activations import ELU, GELU, LeakyReLU, ReLU, Softmax, Softplus, Tanh

ELEMENTWISE = [Tanh, ReLU, LeakyReLU, Softplus, ELU, GELU]


def finite_extremes(dtype):
    """Every kind of finite edge value: the largest, around overflow of eˣ, subnormals, zeros."""
    info = np.finfo(dtype)
    values = [info.max, 1e154, 1e38, 1e19, 1e4, 710, 89, 88, 30, 1, info.tiny]
    values += [info.smallest_subnormal, 0.0]
    values = [v for v in values if v <= float(info.max)]
    return np.array([*values, *(-v for v in values)], dtype=dtype)


def strictly(function, *args):
    """Call ``function`` with every warning and floating-point error raised."""
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        return function(*args)


@pytest.mark.guarantee("gradients")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", [*ELEMENTWISE, Softmax], ids=lambda c: c.__name__)
def test_every_finite_input_gives_a_finite_output_and_gradient(activation, dtype):
    values = finite_extremes(dtype)
    x = np.array(np.meshgrid(values, values)).reshape(2, -1).T  # rows mixing every pair
    layer = activation()
    y = strictly(layer, x)
    grad = strictly(layer.backward, np.ones_like(y))
    assert y.shape == grad.shape == x.shape and y.dtype == grad.dtype == dtype
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(grad))


@pytest.mark.guarantee("gradients")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu_saturates_exactly_for_huge_inputs(dtype):
    big = float(np.finfo(dtype).max)
    x = np.array([-big, -1e30, -3.7e15, -30.0, 30.0, 3.7e15, 1e30, big], dtype=dtype)
    gelu = GELU()
    y = strictly(gelu, x)
    grad = strictly(gelu.backward, np.ones_like(y))
    np.testing.assert_array_equal(y, np.where(x > 0, x, 0.0))
    np.testing.assert_array_equal(grad, np.where(x > 0, 1.0, 0.0))


def gelu_reference(x):
    u = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
    if x > -4:
        return 0.5 * x * (1 + math.tanh(u))
    return x * math.exp(2 * u) / (1 + math.exp(2 * u))  # ½ (1 + tanh u), without cancelling


@pytest.mark.guarantee("gradients")
def test_gelu_backward_is_finite_beyond_the_old_nan_threshold():
    gelu = GELU()
    gelu(np.array([3.8e154, -3.8e154, 1e200]))
    np.testing.assert_array_equal(gelu.backward(np.ones(3)), [1.0, 0.0, 1.0])  # was NaN


def test_gelu_stable_form_equals_the_tanh_formula():
    x = np.linspace(-12, 12, 97)
    expected = [gelu_reference(v) for v in x]
    np.testing.assert_allclose(GELU()(x), expected, rtol=1e-12)


@pytest.mark.guarantee("errors")
@pytest.mark.parametrize("shape", [(0,), (2, 0), (0, 0), (3, 2, 0)])
def test_softmax_refuses_zero_classes(shape):
    with pytest.raises(
        ShapeError,
        match=rf"Softmax.*at least one class.*{shape}".replace("(", r"\(").replace(")", r"\)"),
    ):
        Softmax()(np.zeros(shape))


@pytest.mark.parametrize("activation", [*ELEMENTWISE, Softmax], ids=lambda c: c.__name__)
@pytest.mark.parametrize("shape", [(0, 3), (0, 2, 3)])
def test_an_empty_batch_gives_an_empty_output(activation, shape):
    layer = activation()
    assert strictly(layer, np.zeros(shape)).shape == shape
    assert strictly(layer.backward, np.zeros(shape)).shape == shape


@pytest.mark.parametrize("activation", ELEMENTWISE, ids=lambda c: c.__name__)
@pytest.mark.parametrize("shape", [(3, 0), (0,)])
def test_elementwise_activations_accept_no_features(activation, shape):
    layer = activation()
    assert strictly(layer, np.zeros(shape)).shape == shape
    assert strictly(layer.backward, np.zeros(shape)).shape == shape


@pytest.mark.guarantee("gradients")
def test_softmax_rows_of_opposite_extremes():
    softmax = Softmax()
    y = strictly(softmax, np.array([[1e308, -1e308], [-1e308, -1e308]]))
    np.testing.assert_array_equal(y, [[1.0, 0.0], [0.5, 0.5]])
    np.testing.assert_array_equal(strictly(softmax.backward, np.ones((2, 2))), np.zeros((2, 2)))


@pytest.mark.guarantee("gradients")
def test_softmax_backward_with_huge_gradients():
    softmax = Softmax()
    softmax(np.array([1e308, -1e308]))
    # g − Σ gⱼ yⱼ overflows for the second entry, but y = 0 there: the product is 0
    np.testing.assert_array_equal(strictly(softmax.backward, np.array([1e308, -1e308])), 0.0)
    softmax(np.zeros(2))
    result = strictly(softmax.backward, np.array([1.7e308, -1.7e308]))
    np.testing.assert_array_equal(result, [8.5e307, -8.5e307])


@pytest.mark.guarantee("errors")
def test_leaky_relu_with_a_steep_slope_refuses_an_overflow():
    leaky = LeakyReLU(slope=10.0)
    with pytest.raises(NonFiniteError, match=r"LeakyReLU\(slope=10.0\) overflows.*-1e\+308"):
        strictly(leaky, np.array([1.0, -1e308]))
    leaky(np.array([-1.0, 1.0]))
    with pytest.raises(NonFiniteError, match=r"backward.*index 0.*does not fit float64"):
        strictly(leaky.backward, np.array([1e308, 1e308]))


@pytest.mark.guarantee("errors")
def test_elu_with_a_large_alpha_refuses_a_gradient_that_overflows():
    elu = ELU(alpha=4.0)
    elu(np.array([-0.0, 1.0]))
    with pytest.raises(NonFiniteError, match=r"ELU\(alpha=4.0\)\.backward"):
        strictly(elu.backward, np.array([1e308, 1e308]))


@pytest.mark.guarantee("errors")
@pytest.mark.parametrize("layer", [LeakyReLU(slope=1e300), ELU(alpha=1e300)], ids=repr)
def test_an_option_beyond_float32_refuses_float32_input(layer):
    with pytest.raises(ConfigurationError, match="cannot compute in float32"):
        strictly(layer, np.array([-1.0, 0.0, 1.0], dtype=np.float32))
    assert np.all(np.isfinite(strictly(layer, np.array([0.0, 1.0]))))  # float64 is fine


@pytest.mark.guarantee("gradients")
@pytest.mark.parametrize("activation", ELEMENTWISE, ids=lambda c: c.__name__)
def test_a_scalar_is_accepted_elementwise(activation):
    layer = activation()
    y = strictly(layer, np.array(2.0))
    assert np.shape(y) == () and np.isfinite(y)
    assert np.shape(strictly(layer.backward, np.array(1.0))) == ()


@pytest.mark.guarantee("gradients")
@pytest.mark.parametrize("activation", [GELU, Softmax, lambda: LeakyReLU(slope=2.0)], ids=repr)
def test_a_nan_gradient_is_refused_where_backward_checks_its_result(activation):
    layer = activation()
    layer(np.zeros(3))
    with pytest.raises(NonFiniteError, match=r"gradient.*not finite"):
        strictly(layer.backward, np.array([0.0, np.nan, 1.0]))
