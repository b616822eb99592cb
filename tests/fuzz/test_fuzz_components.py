"""Fuzz every registered activation and loss with hostile arrays.

Shapes from 0-d to 3-d, empty ones included; float32 and float64; finite values drawn from
the whole range, with the edges (±max, ±1e154, around eˣ's overflow, subnormals, ±0) mixed
into rows. Each call must give either a layerkit error, or a finite output of the right shape
and dtype and a finite gradient, with no RuntimeWarning and no other exception.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import layerkit as lk
from layerkit.errors import LayerkitError, ShapeError

pytestmark = pytest.mark.guarantee("errors")

# Options that move a component off its default path, where a registered name has them.
VARIANTS = {
    "leaky_relu": [{"slope": 10.0}, {"slope": 1e300}],
    "elu": [{"alpha": 4.0}, {"alpha": 1e300}],
    "l2": [{"reduction": "sum"}],
    "cross_entropy": [{"from_logits": True}, {"from_logits": True, "reduction": "sum"}],
    "binary_cross_entropy": [{"from_logits": True}],
    "huber": [{"delta": 1e-300}, {"delta": 1e300, "reduction": "sum"}],
}
# The first-party losses, all of which are >= 0 for targets they accept.
NON_NEGATIVE = {"l2", "cross_entropy", "binary_cross_entropy", "l1", "huber"}

dtypes = st.sampled_from([np.dtype(np.float32), np.dtype(np.float64)])
shapes = st.lists(st.integers(0, 3), max_size=3).map(tuple)


def values(dtype: np.dtype) -> st.SearchStrategy[float]:
    """Finite values of ``dtype``, the edges drawn often."""
    info = np.finfo(dtype)
    edges = [float(info.max), 1e154, 1e38, 1e19, 1e4, 710.0, 89.0, 88.0, 30.0, 1.0, 0.5]
    edges += [float(info.tiny), float(info.smallest_subnormal), 0.0]
    edges = [e for e in edges if e <= float(info.max)]
    return st.one_of(
        st.sampled_from([*edges, *(-e for e in edges)]),
        st.floats(allow_nan=False, allow_infinity=False, width=info.bits),
    )


@st.composite
def float_arrays(draw, shape=None, dtype=None):
    dtype = dtype if dtype is not None else draw(dtypes)
    shape = shape if shape is not None else draw(shapes)
    return draw(arrays(dtype, shape, elements=values(dtype)))


def build(registry: dict, name: str, draw) -> object:
    options = draw(st.sampled_from([{}, *VARIANTS.get(name, [])]))
    return registry[name].cls(**options)


def quietly(function, *args):
    """Call ``function`` with every warning an error; return None for a layerkit error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return function(*args)
        except LayerkitError:
            return None


FUZZ = settings(
    deadline=None,
    max_examples=35,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FUZZ
@pytest.mark.parametrize("name", sorted(lk.activations()))
@given(data=st.data())
def test_activation(name, data):
    x = data.draw(float_arrays(), label="x")
    layer = build(lk.activations(), name, data.draw)
    y = quietly(layer, x)
    if y is None:
        return
    assert np.shape(y) == x.shape and y.dtype == x.dtype and np.all(np.isfinite(y))
    grad = data.draw(float_arrays(shape=x.shape, dtype=x.dtype), label="grad")
    dx = quietly(layer.backward, grad)
    if dx is None:
        return
    assert np.shape(dx) == x.shape and dx.dtype == x.dtype and np.all(np.isfinite(dx))


@st.composite
def targets(draw, y: np.ndarray):
    """Targets of every kind a loss may be handed: values, probabilities, labels, misfits."""
    kind = draw(st.sampled_from(["values", "probabilities", "one-hot", "labels", "other"]))
    if kind == "values":
        return draw(float_arrays(shape=y.shape))
    if kind == "probabilities":
        return draw(arrays(np.float64, y.shape, elements=st.floats(0, 1)))
    if kind == "one-hot" and y.ndim and y.shape[-1]:
        labels = draw(arrays(np.int64, y.shape[:-1], elements=st.integers(0, y.shape[-1] - 1)))
        return np.eye(y.shape[-1])[labels]
    if kind == "labels" and y.ndim:
        return draw(arrays(np.int64, y.shape[:-1], elements=st.integers(-1, y.shape[-1])))
    return draw(float_arrays())


@FUZZ
@pytest.mark.parametrize("name", sorted(lk.losses()))
@given(data=st.data())
def test_loss(name, data):
    y = data.draw(float_arrays(), label="y")
    t = data.draw(targets(y), label="t")
    loss = build(lk.losses(), name, data.draw)
    if y.ndim not in (1, 2) or y.size == 0:  # no loss of this kind accepts these
        with pytest.raises(ShapeError):
            quietly_raising(loss, y, t)
        return
    value = quietly(loss, y, t)
    if value is None:
        return
    assert isinstance(value, float) and math.isfinite(value)
    if name in NON_NEGATIVE:
        assert value >= 0.0
    grad = quietly(loss.backward)
    assert grad is not None and grad.shape == y.shape and grad.dtype == y.dtype
    assert np.all(np.isfinite(grad))


def quietly_raising(function, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return function(*args)
