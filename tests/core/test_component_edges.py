"""The built-in sigmoid and L2 loss, and their base classes, at the numeric edges.

Empty batches, 0-d and 3-d arrays, finite values up to ±1.8e308, targets beyond a float32
prediction's range: each gives a finite, correct result or a layerkit error that names the
component and the value, never inf, NaN, a RuntimeWarning or a bare NumPy error.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import layerkit as lk
from layerkit.errors import NonFiniteError, ShapeError
from layerkit.validation import as_prediction_and_target

FLOAT64_MAX = float(np.finfo(np.float64).max)


def strictly(function, *args):
    """Call ``function`` with every warning and floating-point error raised."""
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        return function(*args)


# ------------------------------------------------------------------------------ L2 loss
@pytest.mark.guarantee("errors")
@pytest.mark.parametrize("shape", [(0, 3), (0, 0), (0,), (3, 0)])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_l2_refuses_an_empty_batch(shape, reduction):
    loss = lk.L2Loss(reduction=reduction)
    with pytest.raises(
        ShapeError,
        match=rf"L2Loss.*at least one sample.*{shape}".replace("(", r"\(").replace(")", r"\)"),
    ):
        loss(np.zeros(shape), np.zeros(shape))


@pytest.mark.guarantee("errors")
@pytest.mark.parametrize("shape", [(), (2, 3, 4), (1, 1, 1)])
def test_l2_refuses_0d_and_3d_predictions(shape):
    with pytest.raises(ShapeError, match=r"\(outputs,\) or \(batch, outputs\), got shape"):
        lk.L2Loss()(np.ones(shape), np.ones(shape))


@pytest.mark.guarantee("errors")
@pytest.mark.parametrize("difference", [1e155, -1e200, FLOAT64_MAX])
def test_l2_overflow_is_refused_not_returned_as_inf(difference):
    loss = lk.L2Loss()
    with pytest.raises(NonFiniteError, match=r"L2Loss.*overflowed.*float64"):
        strictly(loss, np.array([[difference, 0.0]]), np.zeros((1, 2)))


@pytest.mark.guarantee("errors")
def test_l2_overflow_in_float32_is_refused():
    y = np.array([1e20, 0.0], dtype=np.float32)  # ½ (1e20)² = 5e39 > 3.4e38
    with pytest.raises(NonFiniteError, match="float32"):
        strictly(lk.L2Loss(), y, np.zeros(2))


@pytest.mark.guarantee("errors")
def test_l2_mean_that_fits_is_returned_although_the_sum_overflows():
    y = np.full((4, 1), 1.5e154)  # each ½ d² = 1.125e308 fits; their sum does not
    loss = lk.L2Loss()
    assert strictly(loss, y, np.zeros((4, 1))) == pytest.approx(0.5 * 1.5e154 * 1.5e154, rel=1e-12)
    np.testing.assert_array_equal(loss.backward(), y / 4)
    with pytest.raises(NonFiniteError, match="overflowed"):
        lk.L2Loss(reduction="sum")(y, np.zeros((4, 1)))


@pytest.mark.guarantee("errors")
def test_l2_still_refuses_nan_and_infinity_in_the_prediction():
    for bad in (np.nan, np.inf):
        with pytest.raises(NonFiniteError, match="prediction y"):
            strictly(lk.L2Loss(), np.array([bad, 0.0]), np.zeros(2))


@pytest.mark.guarantee("errors")
def test_difference_that_would_overflow_is_refused_before_it_is_taken():
    y, t = np.array([-1e308, 0.0]), np.array([1e308, 0.0])
    with pytest.raises(NonFiniteError, match=r"1e\+308 at index 0: y − t overflows float64"):
        strictly(lk.L2Loss(), y, t)


@pytest.mark.guarantee("errors")
def test_float64_target_beyond_float32_is_refused_without_a_cast_warning():
    y, t = np.zeros(2, dtype=np.float32), np.array([0.0, 1e39])
    with pytest.raises(NonFiniteError, match=r"1e\+39 at index 1.*float32"):
        strictly(lk.L2Loss(), y, t)


@pytest.mark.guarantee("errors")
def test_huge_targets_that_fit_still_work():
    y = t = np.array([1e300, -1e300])
    assert strictly(lk.L2Loss(), y, t) == 0.0
    y32, t32 = np.array([3e38], dtype=np.float32), np.array([3e38])
    assert strictly(lk.L2Loss(), y32, t32) == 0.0


@pytest.mark.guarantee("errors")
def test_as_prediction_and_target_names_component_expected_and_received():
    with pytest.raises(ShapeError, match=r"mine expects prediction y.*got shape \(2, 2, 2\)"):
        as_prediction_and_target(np.ones((2, 2, 2)), np.ones((2, 2, 2)), "mine")
    with pytest.raises(NonFiniteError, match=r"mine received target t"):
        as_prediction_and_target(np.ones(2), np.array([1.0, np.nan]), "mine")


# ------------------------------------------------------------------------------ sigmoid
@pytest.mark.guarantee("gradients")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_finite_over_every_finite_input(dtype):
    info = np.finfo(dtype)
    x = np.array(
        [
            [-info.max, -1e4, -710, -89, -88, -info.tiny, -info.smallest_subnormal, 0.0],
            [info.max, 1e4, 710, 89, 88, info.tiny, info.smallest_subnormal, -0.0],
        ],
        dtype=dtype,
    )
    sigmoid = lk.Sigmoid()
    y = strictly(sigmoid, x)
    grad = strictly(sigmoid.backward, np.full_like(y, info.max))  # σ' <= ¼: stays finite
    assert y.dtype == grad.dtype == dtype
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(grad))
    assert y[0, 0] == 0.0 and y[1, 0] == 1.0


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0,)])
def test_sigmoid_passes_an_empty_batch_through(shape):
    sigmoid = lk.Sigmoid()
    assert sigmoid(np.zeros(shape)).shape == shape
    assert sigmoid.backward(np.zeros(shape)).shape == shape


# ------------------------------------------------------------------------ the base classes
class Double(lk.Activation):
    """y = 2x, whose derivative 2 can overflow a huge gradient."""

    def function(self, x):
        return 2.0 * x

    def derivative(self, x, y):
        return np.full_like(x, 2.0)


@pytest.mark.guarantee("gradients")
def test_activation_backward_refuses_a_product_that_overflows():
    double = Double()
    double(np.zeros(3))
    with pytest.raises(NonFiniteError, match=r"Double.*backward.*index 1.*does not fit float64"):
        strictly(double.backward, np.array([1.0, 1e308, 1.0]))
    np.testing.assert_array_equal(double.backward(np.array([1.0, 1e307, 1.0])), [2.0, 2e307, 2.0])


@pytest.mark.guarantee("errors")
def test_a_custom_loss_using_the_batch_scale_refuses_an_empty_batch():
    class Mean(lk.Loss):
        def forward(self, y, t):
            return float(np.sum(y)) * self._batch_scale(np.asarray(y))

    assert Mean()(np.ones((2, 1)), None) == 1.0
    with pytest.raises(ShapeError, match=r"Mean.*at least one sample.*\(0, 3\)"):
        Mean()(np.zeros((0, 3)), None)  # was ZeroDivisionError


@pytest.mark.guarantee("errors")
def test_loss_reduce_names_the_term_that_does_not_fit():
    class Whole(lk.Loss):
        def forward(self, y, t):
            return self._reduce(np.asarray(y, dtype=float))

    assert Whole()(np.full((2, 1), 1e308), None) == 1e308  # the mean fits, the sum does not
    with pytest.raises(NonFiniteError, match=r"Whole.*index \(0, 1\)"):
        Whole()(np.array([[1.0, np.inf]]), None)
    with pytest.raises(NonFiniteError, match="although the loss of every output fits"):
        Whole(reduction="sum")(np.full((2, 1), 1e308), None)
