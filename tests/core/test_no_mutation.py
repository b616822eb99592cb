"""layerkit never writes into the caller's arrays: weights are copied, inputs are left alone."""

from __future__ import annotations

import numpy as np

import layerkit as lk


def test_dense_copies_the_given_weights(seed_weights, xor_data):
    """Training changes the layer's W and b, never the arrays the caller passed in."""
    W, b = seed_weights["w"], seed_weights["b1"]
    W_kept, b_kept = W.copy(), b.copy()
    net = lk.Sequential(lk.Dense(2, 3, W=W, b=b), lk.Sigmoid(), lk.Dense(3, 1, seed=0))
    assert net[0].W is not W and net[0].b is not b

    x, t = xor_data
    lk.fit(net, x, t, loss=lk.L2Loss(), optimizer=lk.SGD(1.0, momentum=0.5), epochs=20, seed=0)
    assert not np.array_equal(net[0].W, W_kept)  # the layer did learn
    np.testing.assert_array_equal(W, W_kept)
    np.testing.assert_array_equal(b, b_kept)


def test_float32_weights_given_as_float32_are_still_copied():
    """Even when no conversion is needed, the layer owns a copy of W."""
    W = np.ones((2, 3), dtype=np.float32)
    layer = lk.Dense(2, 3, W=W)
    layer.W[0, 0] = 5.0
    assert W[0, 0] == 1.0


def test_forward_backward_and_step_leave_inputs_and_gradients_alone(seed_network):
    """x, the target and the incoming gradient are unchanged after a whole training step."""
    x = np.array([[0.3, -0.7], [1.0, 0.5]])
    t = np.array([[1.0, 0.0], [0.0, 1.0]])
    kept = {"x": x.copy(), "t": t.copy()}

    loss = lk.L2Loss()
    loss(seed_network(x), t)
    grad = loss.backward()
    grad_kept = grad.copy()
    seed_network.backward(grad)
    lk.SGD(lr=0.5, momentum=0.9).step(seed_network)
    seed_network(x)  # a second forward after the step

    np.testing.assert_array_equal(x, kept["x"])
    np.testing.assert_array_equal(t, kept["t"])
    np.testing.assert_array_equal(grad, grad_kept)


def test_each_layer_leaves_its_input_alone():
    """Dense, Sigmoid and L2Loss each leave the arrays they are given untouched."""
    x = np.array([[-3.0, 0.5], [2.0, -0.25]])
    grad = np.array([[1.0, -1.0], [0.5, 2.0]])
    for layer in (lk.Dense(2, 2, seed=0), lk.Sigmoid()):
        x_kept, grad_kept = x.copy(), grad.copy()
        layer(x)
        layer.backward(grad)
        np.testing.assert_array_equal(x, x_kept, err_msg=repr(layer))
        np.testing.assert_array_equal(grad, grad_kept, err_msg=repr(layer))

    y, t = x.copy(), grad.copy()
    loss = lk.L2Loss()
    loss(y, t)
    loss.backward()
    np.testing.assert_array_equal(y, x)
    np.testing.assert_array_equal(t, grad)


def test_fit_leaves_the_data_alone(xor_data):
    """fit shuffles its own index, not the caller's x and t."""
    x, t = xor_data
    x_kept, t_kept = x.copy(), t.copy()
    net = lk.Sequential(lk.Dense(2, 2, seed=0), lk.Sigmoid(), lk.Dense(2, 1, seed=1))
    lk.fit(net, x, t, loss=lk.L2Loss(), optimizer=lk.SGD(0.5), epochs=5, batch_size=2, seed=0)
    np.testing.assert_array_equal(x, x_kept)
    np.testing.assert_array_equal(t, t_kept)
