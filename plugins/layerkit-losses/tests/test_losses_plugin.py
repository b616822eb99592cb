"""The hook, the constructor options and the errors a user can meet."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from layerkit import Loss
from layerkit.errors import (
    BackwardBeforeForwardError,
    ConfigurationError,
    DTypeError,
    ShapeError,
    TargetError,
)
from layerkit_losses import BinaryCrossEntropy, CrossEntropy, HuberLoss, L1Loss, register_losses

EXPECTED = {
    "cross_entropy": CrossEntropy,
    "binary_cross_entropy": BinaryCrossEntropy,
    "l1": L1Loss,
    "huber": HuberLoss,
}


def test_hook_registers_each_name_once():
    registered = []
    register_losses(lambda name, cls: registered.append((name, cls)))
    assert Counter(name for name, _ in registered) == Counter(EXPECTED.keys())
    assert dict(registered) == EXPECTED
    assert all(issubclass(cls, Loss) for _, cls in registered)


@pytest.mark.parametrize(
    ("loss", "config", "text"),
    [
        (
            CrossEntropy(),
            {"from_logits": False, "reduction": "mean"},
            "CrossEntropy(from_logits=False, reduction='mean')",
        ),
        (
            BinaryCrossEntropy(from_logits=True, reduction="sum"),
            {"from_logits": True, "reduction": "sum"},
            "BinaryCrossEntropy(from_logits=True, reduction='sum')",
        ),
        (L1Loss(), {"reduction": "mean"}, "L1Loss(reduction='mean')"),
        (
            HuberLoss(delta=2),
            {"delta": 2.0, "reduction": "mean"},
            "HuberLoss(delta=2.0, reduction='mean')",
        ),
    ],
    ids=repr,
)
def test_config_and_repr(loss, config, text):
    assert loss.config() == config
    assert repr(loss) == text
    assert type(loss)(**config).config() == config


@pytest.mark.parametrize("value", [0, -1.0, math.nan, math.inf, "1", None, True])
def test_invalid_huber_delta(value):
    with pytest.raises(ConfigurationError, match="HuberLoss") as caught:
        HuberLoss(delta=value)
    assert f"delta={value!r}" in str(caught.value)


@pytest.mark.parametrize("cls", [CrossEntropy, BinaryCrossEntropy])
@pytest.mark.parametrize("value", [1, "yes", None])
def test_invalid_from_logits(cls, value):
    with pytest.raises(ConfigurationError, match=cls.__name__):
        cls(from_logits=value)


@pytest.mark.parametrize("cls", EXPECTED.values())
def test_invalid_reduction(cls):
    with pytest.raises(ConfigurationError, match=f"{cls.__name__} expects reduction"):
        cls(reduction="average")


@pytest.mark.parametrize("cls", EXPECTED.values())
def test_backward_before_forward(cls):
    with pytest.raises(BackwardBeforeForwardError, match=cls.__name__):
        cls().backward()


@pytest.mark.parametrize("cls", [BinaryCrossEntropy, L1Loss, HuberLoss])
def test_shape_mismatch_names_loss_and_shapes(cls):
    with pytest.raises(ShapeError, match=rf"{cls.__name__}.*\(2, 3\).*\(3, 2\)"):
        cls()(np.ones((2, 3)), np.ones((3, 2)))


Y = np.full((2, 3), 1 / 3)


def test_cross_entropy_target_of_wrong_shape():
    with pytest.raises(
        ShapeError, match=r"one-hot rows of shape \(2, 3\).*\(2,\).*got shape \(2, 2\)"
    ):
        CrossEntropy()(Y, np.ones((2, 2)))


def test_cross_entropy_float_class_indices():
    with pytest.raises(DTypeError, match=r"CrossEntropy.*integer dtype, got dtype float64"):
        CrossEntropy()(Y, np.array([0.0, 2.0]))


def test_cross_entropy_boolean_class_indices():
    with pytest.raises(DTypeError, match="integer dtype, got dtype bool"):
        CrossEntropy()(Y, np.array([True, False]))


@pytest.mark.parametrize(
    ("indices", "bad"), [([0, 3], "3 for sample 1"), ([-1, 0], "-1 for sample 0")]
)
def test_cross_entropy_class_index_out_of_range(indices, bad):
    with pytest.raises(TargetError, match=rf"from 0 to 2 .*has 3 classes\), got {bad}"):
        CrossEntropy()(Y, np.array(indices))


def test_cross_entropy_prediction_of_wrong_rank():
    with pytest.raises(
        ShapeError, match=r"CrossEntropy.*\(batch, classes\), got shape \(2, 3, 1\)"
    ):
        CrossEntropy()(np.ones((2, 3, 1)), np.ones((2, 3, 1)))


def test_non_numeric_target():
    with pytest.raises(DTypeError, match="L1Loss"):
        L1Loss()(np.ones(2), "ab")
