"""Saturated probabilities and logits of ±1e4: finite, warning-free; float32 stays float32."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from layerkit_losses import BinaryCrossEntropy, CrossEntropy, HuberLoss, L1Loss

ALL = [
    CrossEntropy(),
    CrossEntropy(from_logits=True),
    BinaryCrossEntropy(),
    BinaryCrossEntropy(from_logits=True),
    L1Loss(),
    HuberLoss(),
]
# Probabilities at 0 and 1, values outside [0, 1], and logits of ±1e4 in one batch.
EXTREME_Y = [[0.0, 1.0, 0.0], [1e4, -1e4, 0.0], [1.0, 0.0, 0.0], [-1e4, 1e4, 1e4]]
EXTREME_T = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]


def run_strictly(loss, y, t):
    """Forward and backward with every warning and floating-point error raised."""
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        value = loss(y, t)
        grad = loss.backward()
    return value, grad


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss", ALL, ids=repr)
def test_extreme_inputs_are_finite_and_keep_dtype(loss, dtype):
    y, t = np.array(EXTREME_Y, dtype=dtype), np.array(EXTREME_T)  # t stays float64
    value, grad = run_strictly(loss, y, t)
    assert isinstance(value, float) and np.isfinite(value)
    assert grad.dtype == dtype and np.all(np.isfinite(grad))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_logits_give_the_right_finite_values(dtype):
    z = np.array([[1e4, -1e4]], dtype=dtype)
    cross_entropy = CrossEntropy(from_logits=True)
    right, _ = run_strictly(cross_entropy, z, np.array([0]))
    wrong, grad = run_strictly(cross_entropy, z, np.array([1]))
    assert right == 0.0 and wrong == 2e4
    assert grad.tolist() == [[1.0, -1.0]]  # softmax − t: the full gradient, not 0
    binary = BinaryCrossEntropy(from_logits=True, reduction="sum")
    value, grad = run_strictly(binary, z, np.array([[0.0, 0.0]]))
    assert value == 1e4 and grad.tolist() == [[1.0, 0.0]]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huber_and_l1_never_square_a_huge_error(dtype):
    y, t = np.array([1e30, -1e30], dtype=dtype), np.zeros(2)
    value, grad = run_strictly(HuberLoss(), y, t)
    assert value == pytest.approx(2e30, rel=1e-6) and grad.tolist() == [1.0, -1.0]
    value, grad = run_strictly(L1Loss(), y, t)
    assert value == pytest.approx(2e30, rel=1e-6) and grad.tolist() == [1.0, -1.0]


@pytest.mark.parametrize("loss", ALL, ids=repr)
def test_float32_with_integer_targets(loss):
    y = np.array([[0.2, 0.8], [0.6, 0.4]], dtype=np.float32)
    t = np.array([[0, 1], [1, 0]])
    _, grad = run_strictly(loss, y, t)
    assert grad.dtype == np.float32


def test_float32_with_class_indices():
    y = np.array([[0.2, 0.8], [0.6, 0.4]], dtype=np.float32)
    for loss in (CrossEntropy(), CrossEntropy(from_logits=True)):
        loss(y, np.array([1, 0], dtype=np.uint8))
        assert loss.backward().dtype == np.float32


@pytest.mark.parametrize("loss", ALL, ids=repr)
def test_inputs_are_not_modified(loss):
    y, t = np.array(EXTREME_Y), np.array(EXTREME_T)
    y_kept, t_kept = y.copy(), t.copy()
    loss(y, t)
    loss.backward()
    assert np.array_equal(y, y_kept) and np.array_equal(t, t_kept)


@pytest.mark.parametrize("loss", ALL, ids=repr)
@given(y=arrays(np.float64, (3, 2), elements=st.floats(-1e6, 1e6)))
def test_any_moderate_prediction_is_finite(loss, y):
    value, grad = run_strictly(loss, y, np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]))
    assert np.isfinite(value) and np.all(np.isfinite(grad))
