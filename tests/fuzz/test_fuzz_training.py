"""Fuzz fit with hostile data and arguments, and drive it into divergence.

Inputs and targets of random shapes, dtypes and values (NaN, ±inf, ±1e308, subnormals, class
labels out of range), learning rates up to 1e308 with and without momentum, a custom
optimizer, and wrong kinds of every argument (seeds, epochs, batch sizes, callbacks, losses and
optimizers given as names, classes or junk). Every run must end in one of three ways:

- a layerkit error other than divergence, with every parameter exactly as before;
- `TrainingDivergedError`, with every parameter finite;
- a history of finite losses, one per epoch run, and finite parameters.

These would have found issue 12's items 3 (infinite weights after divergence), 6 (no
samples), 7 (arguments checked only when reached) and the seed and loss arguments.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import layerkit as lk
from layerkit.errors import LayerkitError, TrainingDivergedError

SETTINGS = settings(
    deadline=None,
    max_examples=80,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

EDGES = [np.nan, np.inf, -np.inf, 1e308, -1e308, 5e-324, 1e10, -1e10, 0.0, 1.0]
junk = st.sampled_from([None, -1, 0, 1.5, "a", True, [1], 10**400, float("nan")])


class SignSteps(lk.Optimizer):
    """A custom optimizer with state: w ← w − k η sign(g) on its k-th step."""

    def __init__(self, lr: float) -> None:
        self.lr = lr
        self.count = 0

    def update(self, value, grad, *, overwrite_grad=False):
        self.count += 1
        value -= self.count * self.lr * np.sign(grad)

    def reset(self):
        self.count = 0


@st.composite
def data(draw):
    """Mostly well-formed (samples, 2) data with hostile values; sometimes any shape or dtype."""
    samples = draw(st.integers(0, 6))
    if draw(st.integers(0, 4)) == 0:
        shape = draw(st.lists(st.integers(0, 3), max_size=3).map(tuple))
        dtype = draw(st.sampled_from(["?", "i8", "f2", "f4", "f8", "c16", "U3", "O"]))
    else:
        shape, dtype = (samples, 2), draw(st.sampled_from(["f8", "f8", "f4", "i8"]))
    x = _array(draw, dtype, shape)
    target = draw(st.sampled_from(["values", "labels", "wrong-width", "any"]))
    if target == "labels":
        t = draw(arrays(np.int64, (len(x) if np.ndim(x) else 0,), elements=st.integers(-1, 3)))
    elif target == "any":
        t = _array(draw, draw(st.sampled_from(["f8", "i8", "U3"])), draw(st.just((samples,))))
    else:
        width = 1 if target == "values" else 3
        t = _array(draw, "f8", (len(x) if np.ndim(x) else 0, width))
    return x, t


def _array(draw, dtype, shape):
    dtype = np.dtype(dtype)
    if dtype.kind in "fc":
        elements = st.sampled_from(EDGES) | st.floats(-3, 3)
    elif dtype.kind == "U":
        elements = st.sampled_from(["1", "a", ""])
    elif dtype.kind == "O":
        elements = st.sampled_from([None, 1.0])
    elif dtype.kind == "b":
        elements = st.booleans()
    else:
        elements = st.integers(-3, 3)
    with np.errstate(all="ignore"):
        return draw(arrays(dtype, shape, elements=elements))


models = st.sampled_from(["sigmoid-net", "linear", "deep"])
losses = st.sampled_from(["instance", "instance", "name", "class", None, "nope", "ce", 5])
optimizers = st.sampled_from(["sgd", "momentum", "custom", "name", "class", None])


def build_model(kind: str) -> lk.Layer:
    if kind == "linear":
        return lk.Dense(2, 1, seed=0)
    if kind == "deep":
        return lk.Sequential(lk.Dense(2, 3, seed=0), lk.Sigmoid(), lk.Dense(3, 1, seed=1))
    return lk.Sequential(lk.Dense(2, 3, seed=0), lk.Sigmoid(), lk.Dense(3, 1, seed=1), lk.Sigmoid())


def build_loss(kind):
    return {
        "instance": lk.L2Loss(),
        "name": "l2",
        "class": lk.L2Loss,
        "ce": lk.loss("cross_entropy", from_logits=True),
    }.get(kind, kind)


def build_optimizer(kind, lr):
    if kind == "sgd":
        return lk.SGD(lr)
    if kind == "momentum":
        return lk.SGD(lr, momentum=0.9)
    if kind == "custom":
        return SignSteps(lr)
    return {"name": "sgd", "class": lk.SGD}.get(kind)


@pytest.mark.guarantee("training")
@SETTINGS
@given(
    xt=data(),
    model=models,
    loss=losses,
    optimizer=optimizers,
    lr=st.sampled_from([0.1, 10.0, 1e6, 1e154, 1e308]),
    epochs=st.integers(1, 4) | junk,
    batch_size=st.sampled_from([None, 1, 2, 5]) | junk,
    shuffle=st.booleans() | junk,
    seed=st.integers(0, 2**64) | junk,
    callback=st.sampled_from([None, "stop", "print", "go-on"]) | junk,
)
def test_fit_ends_in_one_of_three_honest_ways(
    xt, model, loss, optimizer, lr, epochs, batch_size, shuffle, seed, callback
):
    x, t = xt
    net = build_model(model)
    before = [p.value.copy() for p in net.parameters()]
    callbacks = {"stop": lambda e, v: True, "print": print, "go-on": lambda e, v: None}
    try:
        history = lk.fit(
            net,
            x,
            t,
            loss=build_loss(loss),
            optimizer=build_optimizer(optimizer, lr),
            epochs=epochs,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            callback=callbacks.get(callback, callback) if isinstance(callback, str) else callback,
        )
    except TrainingDivergedError as error:
        assert "restored to their values" in str(error)
        for parameter in net.parameters():
            assert np.all(np.isfinite(parameter.value)), parameter.name
        return
    except LayerkitError:
        for parameter, kept in zip(net.parameters(), before, strict=True):
            np.testing.assert_array_equal(parameter.value, kept, parameter.name)
        return
    assert 1 <= len(history) <= epochs and all(np.isfinite(history))
    for parameter in net.parameters():
        assert np.all(np.isfinite(parameter.value)), parameter.name


@pytest.mark.guarantee("divergence")
@SETTINGS
@given(
    scale=st.sampled_from([1.0, 1e10, 1e100, 1e300]),
    lr=st.sampled_from([1e3, 1e100, 1e300, 1e308]),
    optimizer=st.sampled_from(["sgd", "momentum", "custom"]),
    model=models,
    batch_size=st.sampled_from([None, 1, 3]),
    epochs=st.integers(1, 40),
)
def test_divergence_always_leaves_finite_parameters(
    scale, lr, optimizer, model, batch_size, epochs
):
    """Large learning rates on large inputs: fit succeeds with finite parameters, or raises
    TrainingDivergedError with finite parameters and says which epoch they come from (or,
    when the untrained model's loss already overflows, refuses before training)."""
    x = np.array([[1.0, -2.0], [0.5, 3.0], [-1.0, 0.25], [2.0, 2.0]]) * scale
    t = np.array([[1.0], [0.0], [1.0], [0.0]])
    net = build_model(model)
    before = [p.value.copy() for p in net.parameters()]
    try:
        lk.fit(
            net,
            x,
            t,
            loss=lk.L2Loss(),
            optimizer=build_optimizer(optimizer, lr),
            epochs=epochs,
            batch_size=batch_size,
            seed=0,
        )
    except TrainingDivergedError as error:
        assert "restored to their values" in str(error)
    except LayerkitError as error:  # the untrained model's loss already overflows
        assert "raised by fit before training: the model is unchanged" in error.__notes__
        for parameter, kept in zip(net.parameters(), before, strict=True):
            np.testing.assert_array_equal(parameter.value, kept, parameter.name)
    for parameter in net.parameters():
        assert np.all(np.isfinite(parameter.value)), parameter.name
