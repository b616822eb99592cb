"""The losses at the edges: empty batches, other ranks, extreme values, targets out of range.

Each case gives a finite, correct loss and gradient, or a layerkit error that names the loss
and the offending value, never inf, NaN, a negative cross-entropy, a RuntimeWarning or a bare
NumPy error.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

from layerkit.errors import DTypeError, NonFiniteError, ShapeError, TargetError
from layerkit_losses import BinaryCrossEntropy, CrossEntropy, HuberLoss, L1Loss

ENTRYWISE = [
    L1Loss(),
    HuberLoss(),
    BinaryCrossEntropy(),
    BinaryCrossEntropy(from_logits=True),
]
ALL = [*ENTRYWISE, CrossEntropy(), CrossEntropy(from_logits=True)]


def strictly(function, *args):
    """Call ``function`` with every warning and floating-point error raised."""
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        return function(*args)


def shape_text(shape):
    return re.escape(str(shape))


# --------------------------------------------------------------------------------- shapes
@pytest.mark.guarantee("errors")
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("shape", [(0, 3), (0, 0), (0,), (3, 0)])
@pytest.mark.parametrize("loss", ALL, ids=repr)
def test_an_empty_batch_is_refused(loss, shape, reduction):
    loss.reduction = reduction
    try:
        with pytest.raises(ShapeError, match=rf"{type(loss).__name__}.*at least one sample"):
            strictly(loss, np.zeros(shape), np.zeros(shape))
    finally:
        loss.reduction = "mean"


@pytest.mark.guarantee("errors")
def test_cross_entropy_refuses_an_empty_batch_of_class_indices():
    with pytest.raises(ShapeError, match=r"at least one sample and one class.*\(0, 3\)"):
        CrossEntropy()(np.zeros((0, 3)), np.zeros(0, dtype=int))


@pytest.mark.guarantee("errors")
@pytest.mark.parametrize("shape", [(), (2, 3, 4), (1, 1, 1)])
@pytest.mark.parametrize("loss", ENTRYWISE, ids=repr)
def test_0d_and_3d_predictions_are_refused(loss, shape):
    expected = r"\(outputs,\) or \(batch, outputs\), got shape " + shape_text(shape)
    with pytest.raises(ShapeError, match=expected):
        loss(np.full(shape, 0.5), np.full(shape, 0.5))


# ---------------------------------------------------------------------------------- targets
@pytest.mark.guarantee("errors")
@pytest.mark.parametrize("bad", [-0.5, 1.5, -1e-9, 2.0])
@pytest.mark.parametrize(
    "loss",
    [
        BinaryCrossEntropy(),
        BinaryCrossEntropy(from_logits=True),
        CrossEntropy(),
        CrossEntropy(from_logits=True),
    ],
    ids=repr,
)
def test_a_target_outside_0_1_is_refused(loss, bad):
    t = np.array([[0.0, 1.0], [bad, 0.0]])
    if isinstance(loss, CrossEntropy):
        t = np.array([[0.0, 1.0], [bad, 1.0 - bad]])  # a row that still sums to 1
    with pytest.raises(
        TargetError, match=rf"{type(loss).__name__}.*in \[0, 1\].*at index \(1, 0\)"
    ):
        strictly(loss, np.array([[0.3, 0.7], [0.6, 0.4]]), t)


@pytest.mark.guarantee("errors")
@pytest.mark.parametrize("loss", ALL, ids=repr)
def test_a_nan_target_is_refused(loss):
    with pytest.raises(NonFiniteError, match="target t"):
        strictly(loss, np.array([[0.3, 0.7]]), np.array([[np.nan, 1.0]]))


@pytest.mark.guarantee("errors")
@pytest.mark.parametrize(
    ("labels", "error", "message"),
    [
        (np.array([0, 3]), TargetError, "from 0 to 2.*got 3 for sample 1"),
        (np.array([-1, 0]), TargetError, "got -1 for sample 0"),
        (np.array([0.0, 1.5]), DTypeError, "integer dtype.*1.5 is not a class index"),
        (np.array([0.0, 1.0]), DTypeError, r"integer dtype.*t\.astype\(int\)"),
        (np.array([np.nan, 1.0]), NonFiniteError, "target t"),
    ],
)
def test_bad_class_labels_are_refused(labels, error, message):
    with pytest.raises(error, match=message):
        strictly(CrossEntropy(), np.full((2, 3), 1 / 3), labels)


@pytest.mark.guarantee("errors")
def test_soft_targets_that_do_not_sum_to_one_are_the_documented_formula():
    t = np.array([[0.6, 0.6, 0.0]])  # accepted, and exactly −Σ t log p
    p = np.array([[0.5, 0.25, 0.25]])
    expected = -(0.6 * math.log(0.5) + 0.6 * math.log(0.25))
    assert strictly(CrossEntropy(), p, t) == pytest.approx(expected, rel=1e-12)
    assert expected > 0


# ------------------------------------------------------------------------- extreme values
@pytest.mark.guarantee("errors")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_from_logits_at_the_largest_floats(dtype):
    big = float(np.finfo(dtype).max)
    z = np.array([[big, -big], [-big, -big]], dtype=dtype)
    loss = CrossEntropy(from_logits=True)
    assert strictly(loss, z, np.array([0, 1])) == pytest.approx(math.log(2) / 2)  # was NaN
    np.testing.assert_allclose(strictly(loss.backward), [[0.0, 0.0], [0.25, -0.25]])
    with pytest.raises(NonFiniteError, match=r"overflowed.*index \(0, 1\)"):
        strictly(loss, z, np.array([1, 0]))  # −log p = 2 · max does not fit


@pytest.mark.guarantee("errors")
def test_cross_entropy_soft_target_on_a_logit_far_below_is_finite_when_it_fits():
    loss = CrossEntropy(from_logits=True)
    value = strictly(loss, np.array([[1e308, -1e308]]), np.array([[0.5, 0.5]]))
    assert value == pytest.approx(1e308, rel=1e-12)  # ½ (1e308 − (−1e308))
    np.testing.assert_array_equal(strictly(loss.backward), [[0.5, -0.5]])


@pytest.mark.guarantee("errors")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_from_logits_at_the_largest_floats(dtype):
    big = float(np.finfo(dtype).max)
    loss = BinaryCrossEntropy(from_logits=True)
    z = np.array([[big], [-big]], dtype=dtype)
    assert strictly(loss, z, np.array([[1.0], [0.0]])) == 0.0
    assert strictly(loss, z, np.array([[0.0], [1.0]])) == pytest.approx(big, rel=1e-6)  # mean
    with pytest.raises(NonFiniteError, match="overflowed"):
        strictly(BinaryCrossEntropy(from_logits=True), z.T, np.array([[0.0, 1.0]]))  # a sum


@pytest.mark.guarantee("errors")
@pytest.mark.parametrize("loss", [L1Loss(), HuberLoss()], ids=repr)
def test_a_sum_beyond_the_largest_float_is_refused(loss):
    y = np.array([[1.7e308, 1.7e308]])
    with pytest.raises(NonFiniteError, match=rf"{type(loss).__name__}.*overflowed"):
        strictly(loss, y, np.zeros((1, 2)))
    assert strictly(loss, y.T, np.zeros((2, 1))) == pytest.approx(1.7e308, rel=1e-6)


@pytest.mark.guarantee("errors")
def test_huber_with_a_huge_delta_refuses_a_square_that_does_not_fit():
    loss = HuberLoss(delta=1e200)
    with pytest.raises(NonFiniteError, match=r"HuberLoss.*overflowed.*index 1"):
        strictly(loss, np.array([0.0, 1e160]), np.zeros(2))  # ½ (1e160)² > 1.8e308
    assert strictly(loss, np.array([0.0, 1e150]), np.zeros(2)) == pytest.approx(0.5e300)


@pytest.mark.guarantee("errors")
def test_huber_delta_beyond_float32_works_on_float32():
    loss = HuberLoss(delta=1e300)
    value = strictly(loss, np.array([3.0, 1e10], dtype=np.float32), np.zeros(2))
    assert value == pytest.approx(0.5 * 9 + 0.5 * 1e20, rel=1e-6)
    assert strictly(loss.backward).dtype == np.float32


@pytest.mark.guarantee("errors")
@pytest.mark.parametrize("loss", [L1Loss(), HuberLoss()], ids=repr)
def test_a_difference_that_would_overflow_is_refused(loss):
    with pytest.raises(NonFiniteError, match=r"y − t overflows float64"):
        strictly(loss, np.array([-1e308]), np.array([1e308]))


@pytest.mark.guarantee("errors")
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("loss", ALL, ids=repr)
def test_nan_and_infinity_in_the_prediction_are_refused(loss, bad):
    with pytest.raises(NonFiniteError, match=r"prediction y with 1 non-finite value"):
        strictly(loss, np.array([[0.5, bad]]), np.array([[0.0, 1.0]]))
