"""datasets.split: a seeded, stratified hold-out split."""

from __future__ import annotations

import numpy as np
import pytest

from layerkit import datasets
from layerkit.errors import ConfigurationError, ShapeError


def test_split_keeps_every_sample_once_and_in_order():
    x, labels = datasets.spirals(samples=90, seed=0)
    x_train, t_train, x_val, t_val = datasets.split(x, labels, 0.2, seed=1)
    assert len(x_train) + len(x_val) == 90
    rows = {tuple(row) for row in x}
    assert {tuple(row) for row in np.concatenate([x_train, x_val])} == rows
    order = [np.flatnonzero((x == row).all(axis=1))[0] for row in x_val]
    assert order == sorted(order)
    for part, targets in ((x_train, t_train), (x_val, t_val)):
        index = [np.flatnonzero((x == row).all(axis=1))[0] for row in part]
        np.testing.assert_array_equal(labels[index], targets)


@pytest.mark.parametrize("one_hot", [False, True])
def test_split_is_stratified_for_labels_and_one_hot(one_hot):
    labels = np.array([0] * 80 + [1] * 20)
    t = datasets.one_hot(labels) if one_hot else labels
    _, _, _, t_val = datasets.split(np.zeros((100, 1)), t, 0.25, seed=3)
    held = t_val.argmax(axis=1) if one_hot else t_val
    assert np.bincount(held).tolist() == [20, 5]


def test_split_without_stratify_can_unbalance():
    labels = np.array([0] * 80 + [1] * 20)
    counts = {
        tuple(
            np.bincount(
                datasets.split(np.zeros((100, 1)), labels, 0.25, seed=s, stratify=False)[3],
                minlength=2,
            )
        )
        for s in range(20)
    }
    assert len(counts) > 1  # random draws, not per class


def test_split_is_seeded():
    x, labels = datasets.moons(samples=50, seed=0)
    first = datasets.split(x, labels, seed=5)
    again = datasets.split(x, labels, seed=5)
    other = datasets.split(x, labels, seed=6)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[2], other[2])


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5, 0.001])
def test_split_refuses_fractions_that_leave_a_part_empty(fraction):
    with pytest.raises(ConfigurationError, match="fraction"):
        datasets.split(np.zeros((10, 1)), np.zeros(10, dtype=int), fraction)


def test_split_refuses_mismatched_samples():
    with pytest.raises(ShapeError, match=r"x of shape \(10, 1\) and t of shape \(9,\)"):
        datasets.split(np.zeros((10, 1)), np.zeros(9))
