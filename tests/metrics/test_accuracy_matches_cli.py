"""``lk.metric("accuracy")`` gives the number ``layerkit train`` reports, on the same outputs.

The command line computes its accuracy itself (``layerkit.cli.train_run._evaluate``); these
tests feed it and the metric the same network outputs and the targets ``fit`` is given
(``_encode``: class labels, one-hot rows or one 0/1 column), and compare. For ``--task bits``
the command line counts a sample right only when all its outputs are, which is the metric
with ``exact_match=True``; the metric's default counts each output.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerkit as lk
from layerkit import datasets
from layerkit.cli.data import Dataset
from layerkit.cli.train_run import _encode, _evaluate


def evaluate(net: lk.Layer, data: Dataset, loss: str, t: np.ndarray, threshold: float):
    rows = np.arange(len(data.x))
    return _evaluate(net, lk.loss(loss), data, data.x, t, rows, threshold)


def classification(name: str, classes: int, seed: int) -> Dataset:
    options = {"classes": classes} if name == "blobs" else {}
    x, labels = datasets.load(name, samples=120, seed=seed, **options)
    return Dataset(
        name,
        x,
        "classification",
        labels=labels,
        classes=[str(c) for c in range(classes)],
        targets=["label"],
    )


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    ("loss", "outputs", "encoding"), [("cross_entropy", 3, "labels"), ("l2", 3, "one_hot")]
)
def test_classes_by_label_or_one_hot(seed, loss, outputs, encoding):
    data = classification("blobs", 3, seed)
    targets = _encode(data, loss, outputs)
    assert targets.encoding == encoding
    net = lk.mlp([2, 5, outputs], output="softmax", seed=seed)
    cli = evaluate(net, data, loss, targets.array, 0.5)
    assert lk.metric("accuracy")(cli.outputs, targets.array) == cli.accuracy
    assert lk.metric("accuracy")(cli.outputs, data.labels) == cli.accuracy


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("output", "threshold"), [("sigmoid", 0.5), (None, 0.0)])
def test_two_classes_in_one_output_column(seed, output, threshold):
    """A sigmoid's probability against 0.5, or a logit (``--output none``) against 0."""
    data = classification("moons", 2, seed)
    targets = _encode(data, "binary_cross_entropy", 1)
    assert targets.encoding == "column"
    net = lk.mlp([2, 4, 1], output=output, seed=seed)
    cli = evaluate(net, data, "binary_cross_entropy", targets.array, threshold)
    metric = lk.metric("accuracy", threshold=threshold)
    assert metric(cli.outputs, targets.array) == cli.accuracy
    assert metric(cli.outputs, data.labels) == cli.accuracy


def test_outputs_at_the_threshold_count_alike():
    labels = np.array([1, 0, 1, 0])
    data = Dataset("edge", np.zeros((4, 2)), "classification", labels=labels, classes=["0", "1"])
    data.targets = ["label"]
    t = _encode(data, "l2", 1).array
    outputs = np.array([[0.5], [0.5], [np.nextafter(0.5, 0)], [np.nextafter(0.5, 0)]])

    class Fixed(lk.Layer):
        def forward(self, x):
            return outputs[: len(x)]

        def backward(self, grad):
            return grad

    cli = evaluate(Fixed(), data, "l2", t, 0.5)
    assert lk.metric("accuracy")(outputs, t) == cli.accuracy == 0.5


@pytest.mark.parametrize("seed", range(6))
def test_bits_count_whole_rows_with_exact_match(seed):
    x, t = datasets.half_adder()
    x, t = np.tile(x, (5, 1)), np.tile(t, (5, 1))
    data = Dataset("half_adder", x, "bits", values=t, targets=["sum", "carry"])
    net = lk.mlp([2, 3, 2], seed=seed)
    cli = evaluate(net, data, "l2", _encode(data, "l2", 2).array, 0.5)
    assert lk.metric("accuracy", exact_match=True)(cli.outputs, t) == cli.accuracy
    assert lk.metric("binary_accuracy", exact_match=True)(cli.outputs, t) == cli.accuracy
    each_output = np.mean((cli.outputs >= 0.5) == (t == 1))
    assert lk.metric("accuracy")(cli.outputs, t) == each_output
