"""Property tests: for any shape and either float dtype, every layer keeps its promises.

hypothesis draws the sizes, the batch (or a single 1-D sample), the dtype and the values;
each test states one property that must hold for all of them.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import layerkit as lk

FAST = settings(max_examples=50, deadline=None)
FLOAT_DTYPES = st.sampled_from([np.float32, np.float64])
# Agreement between two computations of the same numbers, per dtype.
CLOSE = {np.float32: {"rtol": 1e-5, "atol": 1e-4}, np.float64: {"rtol": 1e-12, "atol": 1e-12}}


@st.composite
def inputs(draw, features: int):
    """One sample ``(features,)`` or a batch ``(n, features)``, float32 or float64."""
    dtype = draw(FLOAT_DTYPES)
    shape = draw(st.sampled_from([(features,), (draw(st.integers(1, 5)), features)]))
    elements = st.floats(-10, 10, width=np.finfo(dtype).bits)
    return draw(hnp.arrays(dtype, shape, elements=elements))


sizes = st.integers(1, 6)


# ---------------------------------------------------------------------- shapes and dtypes


@FAST
@given(in_features=sizes, out_features=sizes, data=st.data())
def test_dense_shapes_and_dtypes(in_features, out_features, data):
    """Dense maps (…, in) to (…, out) in the input's dtype; its parameters adopt that dtype."""
    x = data.draw(inputs(in_features))
    layer = lk.Dense(in_features, out_features, seed=0)
    y = layer(x)
    assert y.shape == (*x.shape[:-1], out_features)
    assert y.dtype == x.dtype
    assert layer.W.dtype == layer.b.dtype == x.dtype

    grad_input = layer.backward(np.ones_like(y))
    assert grad_input.shape == x.shape and grad_input.dtype == x.dtype
    assert layer.dW.shape == (in_features, out_features) and layer.dW.dtype == x.dtype
    assert layer.db.shape == (out_features,) and layer.db.dtype == x.dtype


@FAST
@given(dtype=FLOAT_DTYPES, data=st.data())
def test_sigmoid_shapes_and_dtypes(dtype, data):
    """Sigmoid keeps any shape (1-D to 3-D) and the dtype, forward and backward."""
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    x = data.draw(hnp.arrays(dtype, shape, elements=st.floats(-10, 10, width=32)))
    sigmoid = lk.Sigmoid()
    y = sigmoid(x)
    assert y.shape == x.shape and y.dtype == dtype
    grad_input = sigmoid.backward(np.ones_like(y))
    assert grad_input.shape == x.shape and grad_input.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_of_a_0d_array(dtype):
    """The docstring promises any shape: a 0-D array (a single number) gives a 0-D array."""
    y = lk.Sigmoid()(np.array(0.0, dtype=dtype))
    assert y.shape == () and y.dtype == dtype and y == 0.5


@FAST
@given(outputs=sizes, data=st.data())
def test_l2loss_value_and_gradient_shape_and_dtype(outputs, data):
    """L2Loss returns a Python float, and a gradient shaped and typed like y."""
    y = data.draw(inputs(outputs))
    t = data.draw(hnp.arrays(y.dtype, y.shape, elements=st.floats(0, 1, width=32)))
    loss = lk.L2Loss()
    value = loss(y, t)
    assert isinstance(value, float) and value >= 0
    grad = loss.backward()
    assert grad.shape == y.shape and grad.dtype == y.dtype


@st.composite
def sigmoid_networks(draw, max_depth: int = 4):
    """A Sequential of Dense+Sigmoid pairs with random widths, and its list of widths."""
    widths = draw(st.lists(sizes, min_size=2, max_size=max_depth + 1))
    layers = []
    for position, (fan_in, fan_out) in enumerate(itertools.pairwise(widths)):
        layers += [lk.Dense(fan_in, fan_out, seed=position), lk.Sigmoid()]
    return lk.Sequential(*layers), widths


@FAST
@given(network=sigmoid_networks(), data=st.data())
def test_sequential_keeps_the_dtype_all_the_way_through(network, data):
    """float32 in gives float32 at every layer, in every parameter and gradient; float64 too."""
    net, widths = network
    x = data.draw(inputs(widths[0]))
    dtype = x.dtype

    hidden = x
    for layer in net:  # what Sequential.forward does, checked layer by layer
        hidden = layer(hidden)
        assert hidden.dtype == dtype, f"{layer!r} changed the dtype"
    y = net(x)
    assert y.dtype == dtype and y.shape == (*x.shape[:-1], widths[-1])

    loss = lk.L2Loss()
    loss(y, np.zeros(y.shape, dtype=np.float64))  # a float64 target does not upcast
    grad_input = net.backward(loss.backward())
    assert grad_input.dtype == dtype and grad_input.shape == x.shape
    for parameter in net.parameters():
        assert parameter.value.dtype == dtype, parameter.name
        assert parameter.grad.dtype == dtype, parameter.name

    lk.SGD(lr=0.1, momentum=0.9).step(net)
    assert all(parameter.value.dtype == dtype for parameter in net.parameters())


# ------------------------------------------------------------ a batch is its samples


@FAST
@given(in_features=sizes, out_features=sizes, dtype=FLOAT_DTYPES, data=st.data())
def test_dense_batch_equals_samples_one_by_one(in_features, out_features, dtype, data):
    """Each output row is that sample's output; dW and db are the sums over the samples."""
    batch = data.draw(st.integers(1, 5))
    x = data.draw(hnp.arrays(dtype, (batch, in_features), elements=st.floats(-10, 10, width=32)))
    grad = data.draw(hnp.arrays(dtype, (batch, out_features), elements=st.floats(-1, 1, width=32)))
    layer = lk.Dense(in_features, out_features, seed=0, dtype=dtype)
    y, grad_input = layer(x), layer.backward(grad)
    dW, db = layer.dW.copy(), layer.db.copy()

    summed_dW, summed_db = np.zeros_like(dW), np.zeros_like(db)
    for row in range(batch):
        np.testing.assert_allclose(layer(x[row]), y[row], **CLOSE[dtype])
        np.testing.assert_allclose(layer.backward(grad[row]), grad_input[row], **CLOSE[dtype])
        summed_dW += layer.dW
        summed_db += layer.db
    np.testing.assert_allclose(summed_dW, dW, **CLOSE[dtype])
    np.testing.assert_allclose(summed_db, db, **CLOSE[dtype])


@FAST
@given(network=sigmoid_networks(), dtype=FLOAT_DTYPES, data=st.data())
def test_sequential_batch_equals_samples_one_by_one(network, dtype, data):
    """A network's batch output and input gradient are its per-sample ones, row by row."""
    net, widths = network
    batch = data.draw(st.integers(1, 5))
    x = data.draw(hnp.arrays(dtype, (batch, widths[0]), elements=st.floats(-5, 5, width=32)))
    grad = np.linspace(-1, 1, batch * widths[-1]).reshape(batch, widths[-1]).astype(dtype)
    y, grad_input = net(x), net.backward(grad)
    for row in range(batch):
        np.testing.assert_allclose(net(x[row]), y[row], **CLOSE[dtype])
        np.testing.assert_allclose(net.backward(grad[row]), grad_input[row], **CLOSE[dtype])


@FAST
@given(outputs=sizes, reduction=st.sampled_from(["mean", "sum"]), data=st.data())
def test_l2loss_batch_equals_samples_one_by_one(outputs, reduction, data):
    """The batch loss is the mean (or sum) of the sample losses, and so is each gradient row."""
    batch = data.draw(st.integers(1, 5))
    y = data.draw(hnp.arrays(np.float64, (batch, outputs), elements=st.floats(-3, 3)))
    t = data.draw(hnp.arrays(np.float64, (batch, outputs), elements=st.floats(0, 1)))
    loss = lk.L2Loss(reduction)
    value, grad = loss(y, t), loss.backward()
    scale = 1 / batch if reduction == "mean" else 1.0

    sample_values = []
    for row in range(batch):
        sample_values.append(loss(y[row], t[row]))
        np.testing.assert_allclose(loss.backward() * scale, grad[row], **CLOSE[np.float64])
    np.testing.assert_allclose(value, sum(sample_values) * scale, **CLOSE[np.float64])


# ------------------------------------------------- integer and boolean input becomes float


@FAST
@given(
    in_features=sizes,
    out_features=sizes,
    integer_dtype=st.sampled_from([np.bool_, np.int8, np.int32, np.int64, np.uint8]),
    data=st.data(),
)
def test_integer_and_bool_input_is_converted_to_float(
    in_features, out_features, integer_dtype, data
):
    """Integer or bool input gives the same float result as the same values given as float."""
    shape = (data.draw(st.integers(1, 4)), in_features)
    x = data.draw(hnp.arrays(integer_dtype, shape))
    as_float = x.astype(np.float64)

    dense = lk.Dense(in_features, out_features, seed=0)
    y = dense(x)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, lk.Dense(in_features, out_features, seed=0)(as_float))

    assert lk.Sigmoid()(x).dtype == np.float64
    np.testing.assert_array_equal(lk.Sigmoid()(x), lk.Sigmoid()(as_float))

    loss = lk.L2Loss()
    assert loss(x, np.zeros(shape, dtype=np.int64)) == lk.L2Loss()(as_float, np.zeros(shape))
    assert loss.backward().dtype == np.float64


def test_integer_input_to_a_float32_layer_becomes_float32():
    """Integer input takes the dtype of the layer it meets, not float64."""
    layer = lk.Dense(2, 3, seed=0, dtype=np.float32)
    assert layer(np.array([[1, 2]])).dtype == np.float32
    assert layer.backward(np.ones((1, 3), dtype=np.int64)).dtype == np.float32


# ------------------------------------------------------------------ sigmoid stability


@FAST
@given(dtype=FLOAT_DTYPES, data=st.data())
def test_sigmoid_is_stable_for_large_inputs(dtype, data):
    """Up to |a| = 1e4, in either dtype: no warning, finite, 0 ≤ σ ≤ 1, 0 ≤ σ' ≤ ¼."""
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=2, max_side=6))
    x = data.draw(hnp.arrays(dtype, shape, elements=st.floats(-1e4, 1e4, width=32)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning fails the test
        sigmoid = lk.Sigmoid()
        y = sigmoid(x)
        slope = sigmoid.backward(np.ones_like(y))
    assert np.all(np.isfinite(y)) and np.all((y >= 0) & (y <= 1))
    assert np.all(np.isfinite(slope)) and np.all((slope >= 0) & (slope <= 0.25))


def test_sigmoid_at_the_extremes():
    """σ(±1e4) is exactly 0 or 1 and σ(0) is ½, in float32 and float64, with no warning."""
    for dtype in (np.float32, np.float64):
        x = np.array([-1e4, -100.0, 0.0, 100.0, 1e4], dtype=dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y = lk.Sigmoid()(x)
        assert y.dtype == dtype
        np.testing.assert_array_equal(y[[0, 2, 4]], [0.0, 0.5, 1.0])
        assert 0 <= y[1] < 1e-40 and y[3] == 1.0
