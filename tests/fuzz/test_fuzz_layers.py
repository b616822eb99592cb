"""Fuzz the core's layers, optimizer, gradcheck and builders with hostile arrays and arguments.

Arrays of 0 to 3 dimensions (empty ones too) in every dtype a user might hand over (bool,
integers, float16/32/64, complex, object, str) with NaN, ±inf, ±1e308 and subnormals mixed in;
arguments of every wrong kind. Each call gives a layerkit error, or a result that is right:
finite where it must be, and no other exception. These would have found issue 12's seeds,
``gradcheck(eps=0)``, ``mlp(None)``, ``Dense(2, 10**12)``, gradients broadcast into weights,
and NaN gradients passed as a perfect match.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import layerkit as lk
from layerkit import datasets
from layerkit.errors import LayerkitError

pytestmark = pytest.mark.guarantee("errors")

SETTINGS = settings(
    deadline=None,
    max_examples=60,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

EDGES = [np.nan, np.inf, -np.inf, 1e308, -1e308, 5e-324, -5e-324, 0.0, -0.0, 1.0, 1e154]
DTYPES = ["?", "i1", "i8", "u1", "f2", "f4", "f8", "c16"]
shapes = st.lists(st.integers(0, 4), max_size=3).map(tuple)


@st.composite
def hostile_arrays(draw) -> object:
    """A numeric array of any dtype and 0-3 dimensions, or a list, string, None, object."""
    kind = draw(st.sampled_from(["numeric", "numeric", "numeric", "object", "str", "other"]))
    shape = draw(shapes)
    if kind == "numeric":
        dtype = np.dtype(draw(st.sampled_from(DTYPES)))
        if dtype.kind in "fc":
            elements = st.sampled_from(EDGES) | st.floats(-10, 10)
        elif dtype.kind == "b":
            elements = st.booleans()
        else:
            info = np.iinfo(dtype)
            elements = st.integers(int(info.min), int(info.max))
        with np.errstate(all="ignore"):
            return draw(arrays(dtype, shape, elements=elements))
    if kind == "object":
        return np.full(shape, draw(st.sampled_from([None, 1.0, "a"])), dtype=object)
    if kind == "str":
        return np.full(shape, "1.0")
    return draw(st.sampled_from([None, "x", 3, 2.5, [[1.0, 2.0], [3.0]], [[1, 2, 3]], {}]))


junk = st.sampled_from([None, -1, 0, 1.5, "a", True, [1], 10**400, float("nan"), float("inf")])


def refused_or(call, check=lambda result: None):
    """Run ``call``; a layerkit error is fine, anything else must pass ``check``."""
    with np.errstate(all="ignore"):
        try:
            result = call()
        except LayerkitError:
            return None
    check(result)
    return result


def finite(result) -> None:
    assert np.all(np.isfinite(result)), result


@SETTINGS
@given(x=hostile_arrays(), grad=hostile_arrays())
def test_a_network_forward_and_backward(x, grad):
    """Dense and Sigmoid in a Sequential: an error, or finite values of the right shapes."""
    net = lk.Sequential(lk.Dense(3, 2, seed=0), lk.Sigmoid())
    y = refused_or(lambda: net.forward(x), finite)
    if y is None:
        return
    assert y.shape[-1] == 2 and y.dtype in (np.float32, np.float64)
    refused_or(lambda: net.backward(grad), finite)


@SETTINGS
@given(x=hostile_arrays())
def test_dense_alone_overflows_only_where_numpy_does(x):
    """Dense checks its input, not its output: a finite input whose product overflows gives
    ±inf exactly where NumPy's x @ W + b does; the next layer or loss refuses it."""
    dense = lk.Dense(3, 2, seed=0)
    y = refused_or(lambda: dense.forward(x))
    if y is not None:
        with np.errstate(all="ignore"):
            expected = np.asarray(x, dtype=y.dtype) @ dense.W + dense.b
        np.testing.assert_array_equal(y, expected)


@SETTINGS
@given(
    grads=st.lists(hostile_arrays(), min_size=4, max_size=4),
    momentum=st.sampled_from([0.0, 0.9]),
)
def test_sgd_step_with_any_gradients_changes_all_or_nothing(grads, momentum):
    """Whatever the stored gradients, step raises a layerkit error and changes nothing, or
    moves every parameter to finite values."""
    net = lk.Sequential(lk.Dense(2, 3, seed=0), lk.Sigmoid(), lk.Dense(3, 1, seed=1))
    for parameter, grad in zip(net.parameters(), grads, strict=False):
        layer = net[int(parameter.name[0])]
        setattr(layer, "d" + parameter.name.split(".")[1], grad)
    before = [p.value.copy() for p in net.parameters()]
    with np.errstate(all="ignore"):
        try:
            lk.SGD(0.1, momentum=momentum).step(net)
        except LayerkitError:
            for parameter, kept in zip(net.parameters(), before, strict=True):
                np.testing.assert_array_equal(parameter.value, kept)
            return
    assert all(np.all(np.isfinite(p.value)) for p in net.parameters())


@SETTINGS
@given(lr=junk | st.floats(0, 1e308), momentum=junk | st.floats(-1, 2))
def test_sgd_constructor(lr, momentum):
    refused_or(lambda: lk.SGD(lr, momentum=momentum))


@SETTINGS
@given(
    x=hostile_arrays(),
    eps=junk | st.floats(1e-8, 1e-3),
    seed=junk,
    tolerance=junk | st.floats(0, 1),
    broken=st.booleans(),
)
def test_gradcheck_gives_an_error_or_a_verdict(x, eps, seed, tolerance, broken):
    """gradcheck raises a layerkit error or returns a verdict whose errors are numbers ≥ 0
    (inf for NaN anywhere), never NaN; a NaN backward never passes."""

    class NaNSigmoid(lk.Sigmoid):
        def derivative(self, x, y):
            return np.full_like(y, np.nan)

    model = lk.Sequential(lk.Dense(3, 2, seed=0), NaNSigmoid() if broken else lk.Sigmoid())

    def check(result):
        assert isinstance(result, lk.gradcheck.__globals__["GradientCheck"])
        assert all(error >= 0 for error in result.values()), result  # NaN fails >= too
        if broken and np.size(x):
            assert not result

    refused_or(lambda: lk.gradcheck(model, x, eps=eps, seed=seed, tolerance=tolerance), check)


@SETTINGS
@given(
    sizes=st.lists(st.integers(-2, 5) | junk, max_size=4) | junk,
    seed=junk | st.integers(0, 2**70),
    activation=st.sampled_from(["sigmoid", "tanh", "nope", None, 3]),
)
def test_mlp(sizes, seed, activation):
    refused_or(lambda: lk.mlp(sizes, activation=activation, seed=seed))


@SETTINGS
@given(
    in_features=st.integers(-1, 4) | st.sampled_from([10**12, 10**30, 2.0, "3"]),
    out_features=st.integers(-1, 4) | st.sampled_from([10**12, None]),
    seed=junk,
    init=st.sampled_from(["glorot", "he", "xavier", None]),
    dtype=st.sampled_from([None, "float32", np.float64, "float16", int, "x"]),
)
def test_dense_constructor(in_features, out_features, seed, init, dtype):
    refused_or(lambda: lk.Dense(in_features, out_features, seed=seed, init=init, dtype=dtype))


@SETTINGS
@given(
    name=st.sampled_from([*datasets.DATASETS, "nope", None]),
    samples=junk | st.integers(-1, 20),
    noise=junk | st.floats(-1, 1),
    seed=junk,
    classes=junk | st.integers(-1, 4),
)
def test_data_sets(name, samples, noise, seed, classes):
    """Every generator: an error, or finite inputs of shape (samples, 2) and one label each."""
    options = {"samples": samples, "noise": noise, "seed": seed}
    if name in ("spirals", "blobs"):
        options["classes"] = classes

    def check(result):
        x, labels = result
        assert x.shape == (samples, 2) and labels.shape == (samples,)
        finite(x)

    refused_or(lambda: datasets.load(name, **options), check)


@SETTINGS
@given(labels=hostile_arrays(), classes=junk | st.integers(-1, 5))
def test_one_hot(labels, classes):
    refused_or(lambda: datasets.one_hot(labels, classes=classes), finite)


@SETTINGS
@given(st.data())
def test_sequential_of_shared_or_junk_layers(data):
    """A layer instance used twice anywhere in the tree, or a non-layer: refused."""
    pool = [lk.Dense(2, 2, seed=0), lk.Sigmoid(), lk.Dense(2, 2, seed=1)]
    items = data.draw(st.lists(st.sampled_from([*pool, "x", None]), min_size=1, max_size=4))
    nest = data.draw(st.booleans())
    built = refused_or(
        lambda: lk.Sequential(lk.Sequential(*items), pool[0]) if nest else lk.Sequential(*items)
    )
    if built is not None:
        ids = [id(layer) for layer in _leaves(built)]
        assert len(ids) == len(set(ids))


def _leaves(layer):
    if isinstance(layer, lk.Sequential):
        for child in layer:
            yield from _leaves(child)
    else:
        yield layer
