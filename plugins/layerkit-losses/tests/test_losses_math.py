"""Values against plain-Python references, and gradients against finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest

from layerkit import gradcheck
from layerkit_activations import Softmax
from layerkit_losses import BinaryCrossEntropy, CrossEntropy, HuberLoss, L1Loss

P = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.25, 0.5, 0.25], [0.4, 0.4, 0.2]])
INDICES = np.array([0, 2, 1, 1])
ONE_HOT = np.eye(3)[INDICES]
LOGITS = np.array([[2.0, -1.0, 0.5], [0.0, 0.3, -2.0], [1.5, 1.5, -0.5], [-1.0, 2.5, 0.0]])


def log_softmax_reference(row):
    total = sum(math.exp(v) for v in row)
    return [v - math.log(total) for v in row]


# ------------------------------------------------------------------------- cross-entropy
def test_cross_entropy_value_from_probabilities():
    expected = -sum(math.log(P[i, k]) for i, k in enumerate(INDICES)) / len(P)
    assert CrossEntropy()(P, ONE_HOT) == pytest.approx(expected, rel=1e-12)
    assert CrossEntropy(reduction="sum")(P, ONE_HOT) == pytest.approx(expected * 4, rel=1e-12)


def test_cross_entropy_value_from_logits():
    expected = -sum(log_softmax_reference(z)[k] for z, k in zip(LOGITS, INDICES, strict=True))
    loss = CrossEntropy(from_logits=True, reduction="sum")
    assert loss(LOGITS, INDICES) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("from_logits", [False, True])
def test_class_indices_equal_one_hot(from_logits):
    y = LOGITS if from_logits else P
    by_index, by_row = CrossEntropy(from_logits=from_logits), CrossEntropy(from_logits=from_logits)
    assert by_index(y, INDICES) == by_row(y, ONE_HOT)
    np.testing.assert_array_equal(by_index.backward(), by_row.backward())


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.int64])
@pytest.mark.parametrize("from_logits", [False, True])
def test_class_indices_of_any_integer_dtype_and_one_sample_equal_one_hot(from_logits, dtype):
    """Class indices take their own path (no conversion to float, no put_along_axis) and
    give the loss and gradient of one-hot rows bit for bit, also for a single sample."""
    y = (LOGITS if from_logits else P).astype(np.float32)
    by_index, by_row = CrossEntropy(from_logits=from_logits), CrossEntropy(from_logits=from_logits)
    assert by_index(y, INDICES.astype(dtype)) == by_row(y, ONE_HOT)
    np.testing.assert_array_equal(by_index.backward(), by_row.backward())
    assert by_index(y[1], np.array(2, dtype)) == by_row(y[1], ONE_HOT[1])
    np.testing.assert_array_equal(by_index.backward(), by_row.backward())


@pytest.mark.parametrize("loss", [CrossEntropy(), BinaryCrossEntropy(), L1Loss(), HuberLoss()])
def test_backward_builds_no_message_when_forward_ran(loss, monkeypatch):
    """The check that forward ran builds its message (the loss's repr) only when it fails:
    the backward of every training step pays nothing for it."""
    y = np.full((2, 3), 0.5)
    loss(y, np.eye(3)[[0, 2]] if isinstance(loss, CrossEntropy) else np.ones((2, 3)))
    calls = []
    monkeypatch.setattr(type(loss), "__repr__", lambda self: calls.append(self) or "loss")
    loss.backward()
    assert calls == []


def test_cross_entropy_single_sample_with_a_class_index():
    loss = CrossEntropy()
    assert loss(P[0], 0) == pytest.approx(-math.log(0.7), rel=1e-12)
    np.testing.assert_allclose(loss.backward(), [-1 / 0.7, 0.0, 0.0], rtol=1e-12)


def test_cross_entropy_backward_formulas():
    loss = CrossEntropy()
    loss(P, ONE_HOT)
    np.testing.assert_allclose(loss.backward(), -ONE_HOT / P / 4, rtol=1e-12)
    fused = CrossEntropy(from_logits=True)
    fused(LOGITS, ONE_HOT)
    softmax = np.exp(LOGITS) / np.exp(LOGITS).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(fused.backward(), (softmax - ONE_HOT) / 4, rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_softmax_then_cross_entropy_equals_fused(reduction):
    softmax, loss = Softmax(), CrossEntropy(reduction=reduction)
    chained_value = loss(softmax(LOGITS), ONE_HOT)
    chained_grad = softmax.backward(loss.backward())  # the chain rule, layer by layer
    fused = CrossEntropy(from_logits=True, reduction=reduction)
    assert fused(LOGITS, ONE_HOT) == pytest.approx(chained_value, rel=1e-12)
    np.testing.assert_allclose(fused.backward(), chained_grad, rtol=1e-10, atol=1e-15)


SOFT_TARGETS = np.array([[0.2, 0.5, 0.3], [0.0, 1.0, 0.0], [0.6, 0.6, 0.0], [0.1, 0.0, 0.4]])

GRADCHECKS = [
    (CrossEntropy(), P, ONE_HOT),
    (CrossEntropy(), P, INDICES),
    (CrossEntropy(reduction="sum"), P, SOFT_TARGETS),
    (CrossEntropy(from_logits=True), LOGITS, ONE_HOT),
    (CrossEntropy(from_logits=True), LOGITS, INDICES),
    (CrossEntropy(from_logits=True), LOGITS, SOFT_TARGETS),  # rows not summing to 1
    (BinaryCrossEntropy(), P, ONE_HOT),
    (BinaryCrossEntropy(reduction="sum"), P, SOFT_TARGETS),
    (BinaryCrossEntropy(from_logits=True), LOGITS, ONE_HOT),
    (BinaryCrossEntropy(from_logits=True), LOGITS, SOFT_TARGETS),
    (L1Loss(), LOGITS, SOFT_TARGETS),
    (L1Loss(reduction="sum"), P, ONE_HOT),
    (HuberLoss(), LOGITS, ONE_HOT),  # both sides of δ = 1
    (HuberLoss(delta=0.3, reduction="sum"), P, SOFT_TARGETS),
]


@pytest.mark.parametrize(("loss", "y", "t"), GRADCHECKS, ids=repr)
def test_gradcheck(loss, y, t):
    assert gradcheck(loss, y, t)["input"] < 1e-6


def test_clipped_probabilities_give_finite_loss_and_zero_gradient():
    y = np.array([[0.0, 1.0], [0.5, 0.5]])
    t = np.array([[1.0, 0.0], [1.0, 0.0]])
    loss = CrossEntropy(reduction="sum")
    assert loss(y, t) == pytest.approx(-math.log(1e-7) - math.log(0.5), rel=1e-12)
    np.testing.assert_allclose(loss.backward(), [[0.0, 0.0], [-2.0, 0.0]])  # 0 where clipped


# ------------------------------------------------------------------ binary cross-entropy
def bce_reference(p, t):
    return -(t * math.log(p) + (1 - t) * math.log(1 - p))


def test_binary_cross_entropy_value():
    expected = sum(bce_reference(p, t) for p, t in zip(P.flat, SOFT_TARGETS.flat, strict=True))
    assert BinaryCrossEntropy()(P, SOFT_TARGETS) == pytest.approx(expected / 4, rel=1e-12)


def test_binary_cross_entropy_from_logits_equals_sigmoid_then_probabilities():
    p = 1 / (1 + np.exp(-LOGITS))
    on_probabilities, fused = BinaryCrossEntropy(), BinaryCrossEntropy(from_logits=True)
    assert fused(LOGITS, SOFT_TARGETS) == pytest.approx(on_probabilities(p, SOFT_TARGETS))
    np.testing.assert_allclose(fused.backward(), (p - SOFT_TARGETS) / 4, rtol=1e-12)
    chained = on_probabilities.backward() * p * (1 - p)  # σ'(z) = p (1 − p)
    np.testing.assert_allclose(fused.backward(), chained, rtol=1e-10)


# ---------------------------------------------------------------------------- L1, Huber
def test_l1_value_and_subgradient():
    loss = L1Loss(reduction="sum")
    assert loss([[1.0, -2.0, 3.0]], [[0.5, -2.0, 4.0]]) == pytest.approx(1.5)
    np.testing.assert_array_equal(loss.backward(), [[1.0, 0.0, -1.0]])  # 0 at equality


def huber_reference(d, delta):
    return 0.5 * d * d if abs(d) <= delta else delta * (abs(d) - 0.5 * delta)


@pytest.mark.parametrize("delta", [0.3, 1.0, 2.5])
def test_huber_value_and_gradient(delta):
    d = np.array([-4.0, -1.2, -0.2, 0.0, 0.2, 0.7, 1.5, 3.0])
    loss = HuberLoss(delta=delta)
    assert loss(d, np.zeros_like(d)) == pytest.approx(sum(huber_reference(v, delta) for v in d))
    np.testing.assert_allclose(loss.backward(), np.clip(d, -delta, delta))
