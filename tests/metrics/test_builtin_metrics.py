"""The built-in metrics: accuracy in each target form, the mean squared and absolute errors.

The expected values are counted by hand in the comments; a property test compares the
accuracies with a loop over the samples written independently here.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import layerkit as lk
from layerkit.errors import (
    ConfigurationError,
    DTypeError,
    NonFiniteError,
    ShapeError,
    TargetError,
)
from layerkit.registry import reset_plugin_manager


@pytest.fixture(autouse=True)
def fresh_plugins():
    reset_plugin_manager()
    yield
    reset_plugin_manager()


accuracy = lk.Accuracy()

# Four samples, three classes. argmax per row: 0, 2, 1, 0 (row 3 ties 0.4 and 0.4: the first).
Y = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3], [0.4, 0.4, 0.2]])
LABELS = np.array([0, 2, 0, 1])  # right, right, wrong, wrong: 0.5
ONE_HOT = np.eye(3)[LABELS]


def test_the_registered_metrics():
    classes = {name: component.cls for name, component in lk.metrics().items()}
    assert classes == {
        "accuracy": lk.Accuracy,
        "binary_accuracy": lk.BinaryAccuracy,
        "categorical_accuracy": lk.CategoricalAccuracy,
        "mse": lk.MeanSquaredError,
        "mae": lk.MeanAbsoluteError,
    }
    assert [cls.greater_is_better for cls in classes.values()] == [True, True, True, False, False]
    assert repr(lk.metric("accuracy", threshold=0)) == "Accuracy(threshold=0.0, exact_match=False)"
    assert repr(lk.metric("mse")) == "MeanSquaredError()"


# ------------------------------------------------------------------------------ accuracy
@pytest.mark.parametrize(
    "t",
    [
        LABELS,
        LABELS.astype(np.int32),
        LABELS.astype(np.uint8),
        LABELS[:, None],
        ONE_HOT,
        ONE_HOT.astype(int),
        ONE_HOT.astype(bool),
        ONE_HOT.tolist(),
        LABELS.tolist(),
    ],
    ids=[
        "labels",
        "int32",
        "uint8",
        "column",
        "one-hot",
        "one-hot-int",
        "one-hot-bool",
        "rows",
        "list",
    ],
)
def test_class_labels_and_one_hot_rows_compare_the_largest_output(t):
    assert accuracy(Y, t) == 0.5
    assert accuracy(Y.astype(np.float32), t) == 0.5
    assert lk.metric("categorical_accuracy")(Y, t) == 0.5


# One sigmoid output: 0.9 → 1, 0.5 → 1 (at the threshold counts as 1), 0.49 → 0, 0.1 → 0.
COLUMN = np.array([[0.9], [0.5], [0.49], [0.1]])
BITS = np.array([1, 1, 1, 0])  # right, right, wrong, right: 0.75


@pytest.mark.parametrize(
    "t",
    [BITS[:, None].astype(float), BITS, BITS[:, None], BITS.astype(float), BITS.astype(bool)],
    ids=["float-column", "int", "int-column", "float", "bool"],
)
def test_one_output_column_is_thresholded(t):
    assert accuracy(COLUMN, t) == 0.75
    assert lk.metric("binary_accuracy")(COLUMN, t) == 0.75
    logits = np.array([[2.0], [0.0], [-0.1], [-3.0]])  # the same decisions around 0
    assert lk.metric("accuracy", threshold=0.0)(logits, t) == 0.75
    assert accuracy(logits, t) == 0.5  # at 0.5, the logit 0.0 is a 0


# Multi-label, as the half adder's sum and carry (rows 00, 10, 10, 01; not all one-hot).
MULTI_Y = np.array([[0.1, 0.2], [0.8, 0.3], [0.6, 0.7], [0.4, 0.9]])
MULTI_T = np.array([[0, 0], [1, 0], [1, 0], [0, 1]])
# Thresholded: [[0, 0], [1, 0], [1, 1], [0, 1]]: 7 of 8 outputs right, 3 of 4 rows all right.


def test_multi_label_targets_are_thresholded_output_by_output():
    assert accuracy(MULTI_Y, MULTI_T) == 7 / 8
    assert lk.metric("binary_accuracy")(MULTI_Y, MULTI_T) == 7 / 8
    assert lk.metric("accuracy", exact_match=True)(MULTI_Y, MULTI_T) == 3 / 4
    assert lk.metric("binary_accuracy", exact_match=True)(MULTI_Y, MULTI_T) == 3 / 4
    # categorical_accuracy takes the largest of each row instead: 1, 0, 1, 1 against 0 (the
    # first of a row of zeros), 0, 0, 1.
    assert lk.metric("categorical_accuracy")(MULTI_Y, MULTI_T) == 2 / 4


def test_a_batch_of_multi_label_rows_that_are_all_one_hot_is_read_as_one_hot():
    """The documented caveat: the form is read from each call's targets."""
    y, t = MULTI_Y[1:], MULTI_T[1:]  # rows 10, 10, 01: every row has one 1
    assert accuracy(y, t) == 2 / 3  # argmax 0, 1, 1 against 0, 0, 1
    assert lk.metric("binary_accuracy")(y, t) == 5 / 6  # thresholded 10, 11, 01: 5 of 6


def test_binary_and_categorical_accuracy_differ_on_one_hot_rows():
    y, t = np.array([[0.4, 0.3, 0.3]]), np.array([[1, 0, 0]])
    assert accuracy(y, t) == lk.metric("categorical_accuracy")(y, t) == 1.0  # argmax is 0
    assert lk.metric("binary_accuracy")(y, t) == 2 / 3  # 0.4 < 0.5: the 1 is missed


def test_categorical_accuracy_takes_the_largest_target_of_soft_rows():
    y = np.array([[0.3, 0.7], [0.6, 0.4]])
    assert lk.metric("categorical_accuracy")(y, np.array([[0.2, 0.8], [0.1, 0.9]])) == 0.5
    with pytest.raises(TargetError, match="0 or 1"):
        accuracy(y, np.array([[0.2, 0.8], [0.1, 0.9]]))


def test_one_sample_is_a_batch_of_one():
    y = np.array([0.2, 0.7, 0.1])
    assert accuracy(y, 1) == accuracy(y, np.int64(1)) == accuracy(y, [0, 1, 0]) == 1.0
    assert accuracy(y, 0) == lk.metric("categorical_accuracy")(y, 0) == 0.0
    assert accuracy(np.array([0.6]), 1) == accuracy(np.array([0.6]), [1.0]) == 1.0
    assert accuracy(np.array([0.2, 0.7]), [1, 1]) == 0.5
    assert lk.metric("accuracy", exact_match=True)(np.array([0.2, 0.7]), [1, 1]) == 0.0


@pytest.mark.parametrize("name", ["accuracy", "binary_accuracy", "categorical_accuracy"])
def test_nan_and_infinite_predictions_are_refused(name):
    """As the losses refuse them: a diverged model's outputs have no accuracy."""
    metric = lk.metric(name)
    for y in (np.array([[np.nan], [0.9]]), np.array([[0.1, np.inf]])):
        with pytest.raises(NonFiniteError) as raised:
            metric(y, np.array([0, 0]))
        assert str(raised.value).startswith(repr(metric))
        assert "prediction y" in str(raised.value)


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    samples=st.integers(1, 12),
    outputs=st.integers(1, 5),
    threshold=st.sampled_from([0.5, 0.0, 0.25]),
)
def test_accuracies_agree_with_a_loop_over_samples(data, samples, outputs, threshold):
    y = data.draw(hnp.arrays(np.float64, (samples, outputs), elements=st.floats(-2, 2, width=32)))
    bits = data.draw(hnp.arrays(np.int64, (samples, outputs), elements=st.integers(0, 1)))
    labels = data.draw(hnp.arrays(np.int64, samples, elements=st.integers(0, outputs - 1)))

    right_outputs, right_rows, right_classes = 0, 0, 0
    for row, bit_row, label in zip(y, bits, labels, strict=True):
        hits = [(value >= threshold) == (bit == 1) for value, bit in zip(row, bit_row, strict=True)]
        right_outputs += sum(hits)
        right_rows += all(hits)
        largest = max(range(outputs), key=lambda j: (row[j], -j))  # the first of equals
        right_classes += largest == label

    binary = lk.BinaryAccuracy(threshold=threshold)
    assert binary(y, bits) == pytest.approx(right_outputs / bits.size, abs=1e-15)
    exact = lk.BinaryAccuracy(threshold=threshold, exact_match=True)
    assert exact(y, bits) == pytest.approx(right_rows / samples, abs=1e-15)
    assert lk.CategoricalAccuracy()(y, labels) == pytest.approx(right_classes / samples, abs=1e-15)
    auto = lk.Accuracy(threshold=threshold)
    if outputs == 1:
        assert auto(y, bits) == binary(y, bits)
        assert auto(y, bits[:, 0]) == binary(y, bits)
    else:
        assert auto(y, labels) == lk.CategoricalAccuracy()(y, labels)
        one_hot = np.all(bits.sum(axis=1) == 1)
        expected = lk.CategoricalAccuracy()(y, bits) if one_hot else binary(y, bits)
        assert auto(y, bits) == expected


@pytest.mark.parametrize("name", ["accuracy", "mse", "mae"])
def test_batch_values_weighted_by_size_give_the_value_over_all_samples(name):
    """The Metric contract fit relies on: a mean over samples, batch by batch."""
    rng = np.random.default_rng(0)
    y = rng.random((50, 4))
    t = rng.integers(0, 4, 50) if name == "accuracy" else rng.random((50, 4))
    metric = lk.metric(name)
    cuts = [0, 7, 8, 30, 50]
    weighted = sum(metric(y[a:b], t[a:b]) * (b - a) for a, b in itertools.pairwise(cuts))
    assert weighted / 50 == pytest.approx(metric(y, t), rel=1e-12)


# -------------------------------------------------------------------- accuracy's errors
ACCURACY = "Accuracy(threshold=0.5, exact_match=False)"


@pytest.mark.parametrize(
    ("y", "t", "error", "words"),
    [
        (
            Y,
            LABELS[:3],
            ShapeError,
            [ACCURACY, "labels of shape (4,) or (4, 1)", "(4, 3)", "got shape (3,)"],
        ),
        (Y, ONE_HOT[:, :2], ShapeError, [ACCURACY, "(4, 3)", "got shape (4, 2)"]),
        (Y, LABELS[None], ShapeError, ["got shape (1, 4)"]),
        (
            Y,
            LABELS.astype(float),
            DTypeError,
            [ACCURACY, "integer dtype", "float64", "t.astype(int)"],
        ),
        (Y, np.array([0, 3, 0, 1]), TargetError, [ACCURACY, "from 0 to 2", "got 3 for sample 1"]),
        (Y, np.array([0, 1, -1, 1]), TargetError, ["got -1 for sample 2"]),
        (
            Y,
            np.array([[1, 0, 0], [0, 1, 0], [0, 2, 0], [1, 0, 0]]),
            TargetError,
            ["0 or 1", "got 2.0 at index (2, 1)"],
        ),
        (COLUMN, np.array([1, 0, 0.5, 1]), TargetError, ["0 or 1", "0.5 at index 2"]),
        (COLUMN, np.array([[1, 0], [0, 1], [1, 0], [0, 1]]), ShapeError, ["got shape (4, 2)"]),
        (
            np.zeros((0, 3)),
            np.zeros(0, int),
            ShapeError,
            [ACCURACY, "at least one sample", "(0, 3)"],
        ),
        (np.zeros((2, 2, 2)), np.zeros(2, int), ShapeError, ["got shape (2, 2, 2)"]),
        (Y, np.array([0, 1, np.nan, 1]), NonFiniteError, ["target t"]),
        (Y, ["a", "b", "c", "d"], DTypeError, ["target t"]),
        (np.array([0.2, 0.7, 0.1]), [1, 0], ShapeError, ["of shape ()", "got shape (2,)"]),
    ],
)
def test_accuracy_refuses_targets_it_cannot_read(y, t, error, words):
    with pytest.raises(error) as raised:
        accuracy(y, t)
    for word in words:
        assert word in str(raised.value), str(raised.value)


def test_binary_and_categorical_accuracy_name_themselves_in_errors():
    with pytest.raises(ShapeError, match=r"BinaryAccuracy\(.*\(4, 3\), got \(4,\)"):
        lk.metric("binary_accuracy")(Y, LABELS)
    with pytest.raises(TargetError, match=r"BinaryAccuracy\(.*0 or 1"):
        lk.metric("binary_accuracy")(Y, ONE_HOT * 2)
    with pytest.raises(ShapeError, match=r"CategoricalAccuracy\(\).*got shape \(4, 2\)"):
        lk.metric("categorical_accuracy")(Y, ONE_HOT[:, :2])
    with pytest.raises(DTypeError, match=r"CategoricalAccuracy\(\).*integer dtype"):
        lk.metric("categorical_accuracy")(Y, LABELS * 1.0)


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"threshold": "0.5"}, ["finite number", "threshold='0.5'"]),
        ({"threshold": np.nan}, ["threshold=nan"]),
        ({"threshold": True}, ["threshold=True"]),
        ({"exact_match": 1}, ["True or False", "exact_match=1"]),
        ({"from_logits": True}, ["unexpected keyword argument 'from_logits'"]),
    ],
)
def test_accuracy_options_are_checked(options, words):
    with pytest.raises(ConfigurationError) as raised:
        lk.metric("accuracy", **options)
    for word in words:
        assert word in str(raised.value)


# ---------------------------------------------------------------- mean squared/absolute
def test_mean_squared_and_absolute_error_by_hand():
    y = np.array([[1.0, 2.0], [3.0, 4.0]])
    t = np.array([[1.0, 0.0], [0.0, 4.0]])  # errors 0, 2, 3, 0
    assert lk.metric("mse")(y, t) == (0 + 4 + 9 + 0) / 4
    assert lk.metric("mae")(y, t) == (0 + 2 + 3 + 0) / 4
    assert lk.metric("mse")(y.astype(np.float32), t) == 3.25
    assert lk.metric("mse")(y[1], t[1]) == 4.5  # one sample: the mean over its outputs
    assert lk.metric("mae")([[3]], [[1]]) == 2.0
    # One output: the MSE is twice the L2 loss, ½ (y − t)².
    assert lk.metric("mse")(y[:, :1], t[:, :1]) == 2 * lk.L2Loss()(y[:, :1], t[:, :1])


def test_float32_errors_are_averaged_in_float64():
    y = np.full((1000, 1), 0.1, dtype=np.float32)
    value = lk.metric("mae")(y, np.zeros_like(y))
    assert value == float(np.float32(0.1))  # no float32 rounding from summing 1000 terms
    squared = lk.metric("mse")(y, np.zeros_like(y))
    assert squared == pytest.approx(float(np.float32(0.1)) ** 2, rel=1e-14)  # in float64


def test_a_mean_that_fits_is_returned_when_the_sum_would_overflow():
    big = np.full((2, 1), 1e154)
    assert lk.metric("mse")(big, np.zeros_like(big)) == pytest.approx(1e308, rel=1e-12)
    huge = np.full((2, 1), 1.5e308)
    assert lk.metric("mae")(huge, np.zeros_like(huge)) == pytest.approx(1.5e308, rel=1e-12)
    with pytest.raises(NonFiniteError, match=r"MeanSquaredError\(\) overflowed"):
        lk.metric("mse")(np.full((2, 1), 1e200), np.zeros((2, 1)))


@pytest.mark.parametrize("name", ["mse", "mae"])
@pytest.mark.parametrize(
    ("y", "t", "error", "words"),
    [
        (
            np.zeros((4, 2)),
            np.zeros(4),
            ShapeError,
            ["same shape as prediction y (4, 2)", "got (4,)"],
        ),
        (np.zeros((4, 1)), np.zeros(4), ShapeError, ["(4, 1)", "got (4,)"]),
        (np.zeros((0, 2)), np.zeros((0, 2)), ShapeError, ["at least one sample"]),
        (np.array([[np.nan]]), np.zeros((1, 1)), NonFiniteError, ["prediction y"]),
        (np.zeros((1, 1)), np.array([[np.inf]]), NonFiniteError, ["target t"]),
    ],
)
def test_mean_errors_refuse_what_losses_refuse(name, y, t, error, words):
    metric = lk.metric(name)
    with pytest.raises(error) as raised:
        metric(y, t)
    assert str(raised.value).startswith(repr(metric))
    for word in words:
        assert word in str(raised.value)
