"""backward_step: backward and the optimizer's update in one reversed pass.

It must end where ``backward`` followed by ``optimizer.step(model)`` ends, compute each δ
with the weights of the forward pass, and hold one layer's gradients at a time instead of the
whole network's. "Where" is bit for bit when the learning rate is a power of two (most tests
use 0.5) or with momentum; otherwise plain SGD's xᵀ(ηδ) and the split form's η(xᵀδ) round
differently, and the two agree to rounding.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from toy_layers import Amplifier

import layerkit as lk
from layerkit.errors import NoGradientError, ShapeError


def networks(dtype):
    """Several shapes of network, built twice from the same seeds (one per training form)."""
    return {
        "seed 2-3-2": lambda: lk.mlp([2, 3, 2], seed=0, dtype=dtype),
        "deep": lambda: lk.mlp([2, 5, 5, 5, 5, 2], seed=1, dtype=dtype),
        "nested": lambda: lk.Sequential(
            lk.Sequential(lk.Dense(2, 4, seed=2, dtype=dtype), lk.Sigmoid()),
            lk.Dense(4, 2, seed=3, dtype=dtype),
            lk.Sigmoid(),
        ),
        "activation first": lambda: lk.Sequential(
            lk.Sigmoid(), lk.Dense(2, 2, seed=6, dtype=dtype), lk.Sigmoid()
        ),
        "custom layer": lambda: lk.Sequential(
            lk.Dense(2, 3, seed=4, dtype=dtype), Amplifier(1.5), lk.Dense(3, 2, seed=5, dtype=dtype)
        ),
    }


def data(dtype):
    rng = np.random.default_rng(7)
    return rng.normal(size=(5, 2)).astype(dtype), rng.uniform(size=(5, 2)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("name", list(networks(np.float64)))
def test_backward_step_ends_where_backward_then_step_ends(dtype, momentum, name):
    build = networks(dtype)[name]
    split, fused = build(), build()
    split_sgd, fused_sgd = lk.SGD(0.5, momentum=momentum), lk.SGD(0.5, momentum=momentum)
    loss = lk.L2Loss()
    x, t = data(dtype)
    for _ in range(4):
        loss(split(x), t)
        split_input_gradient = split.backward(loss.backward())
        split_sgd.step(split)

        loss(fused(x), t)
        fused_input_gradient = fused.backward_step(loss.backward(), fused_sgd)

        np.testing.assert_array_equal(fused_input_gradient, split_input_gradient)
        assert fused_input_gradient.dtype == dtype
        for a, b in zip(split.parameters(), fused.parameters(), strict=True):
            np.testing.assert_array_equal(b.value, a.value, err_msg=b.name)
            assert b.value.dtype == a.value.dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(networks(np.float64)))
def test_with_any_learning_rate_backward_step_agrees_with_the_split_form_to_rounding(dtype, name):
    build = networks(dtype)[name]
    split, fused = build(), build()
    split_sgd, fused_sgd = lk.SGD(0.3), lk.SGD(0.3)
    loss = lk.L2Loss()
    x, t = data(dtype)
    for _ in range(4):
        loss(split(x), t)
        split.backward(loss.backward())
        split_sgd.step(split)
        loss(fused(x), t)
        fused.backward_step(loss.backward(), fused_sgd)
    eps = np.finfo(dtype).eps
    for a, b in zip(split.parameters(), fused.parameters(), strict=True):
        np.testing.assert_allclose(b.value, a.value, rtol=64 * eps, atol=64 * eps, err_msg=b.name)


@pytest.mark.parametrize("name", list(networks(np.float64)))
def test_without_input_grad_the_update_is_the_same_and_nothing_is_returned(name):
    """fit passes input_grad=False: ∂L/∂x of the data is skipped, nothing else changes."""
    build = networks(np.float32)[name]
    wanted, skipped = build(), build()
    sgd = lk.SGD(0.5, momentum=0.9)
    loss = lk.L2Loss()
    x, t = data(np.float32)
    for _ in range(3):
        loss(wanted(x), t)
        assert wanted.backward_step(loss.backward(), sgd) is not None
        loss(skipped(x), t)
        assert skipped.backward_step(loss.backward(), sgd, input_grad=False) is None
    for a, b in zip(wanted.parameters(), skipped.parameters(), strict=True):
        np.testing.assert_array_equal(b.value, a.value, err_msg=b.name)


def test_dense_without_input_grad_skips_the_product_delta_W_transposed(monkeypatch):
    dense = lk.Dense(3, 2, seed=0)
    dense(np.ones((4, 3)))
    monkeypatch.setattr(lk.Dense, "_input_gradient", lambda *_: pytest.fail("computed ∂L/∂x"))
    assert dense.backward_step(np.ones((4, 2)), lk.SGD(0.1), input_grad=False) is None
    assert dense.dW is None  # updated and released all the same


class ClippedDense(lk.Dense):
    """A user's Dense that clips its weight gradient: training must go through this backward."""

    def backward(self, grad):
        returned = super().backward(grad)
        np.clip(self.dW, -0.01, 0.01, out=self.dW)
        return returned


class DecayingSGD(lk.SGD):
    """A user's SGD with weight decay in update: the Dense step must not go around it."""

    def update(self, value, grad, *, overwrite_grad=False):
        super().update(value, grad + 0.5 * value, overwrite_grad=overwrite_grad)


@pytest.mark.parametrize(
    "make_layer, make_optimizer",
    [
        (lambda: ClippedDense(2, 3, seed=0), lambda: lk.SGD(0.5)),
        (lambda: lk.Dense(2, 3, seed=0), lambda: DecayingSGD(0.5)),
    ],
    ids=["overridden backward", "overridden update"],
)
def test_a_subclass_that_changes_backward_or_update_is_not_bypassed(make_layer, make_optimizer):
    """backward_step takes the fast road only for Dense's own backward and SGD's own update."""
    x, _ = data(np.float64)
    t = np.linspace(-2.0, 2.0, 15).reshape(5, 3)  # far from a Dense's output: big gradients
    results = {}
    for form in ("split", "fused", "plain"):
        layer = make_layer() if form != "plain" else lk.Dense(2, 3, seed=0)
        optimizer = make_optimizer() if form != "plain" else lk.SGD(0.5)
        loss = lk.L2Loss()
        for _ in range(3):
            loss(layer(x), t)
            if form == "split":
                layer.backward(loss.backward())
                optimizer.step(layer)
            else:
                layer.backward_step(loss.backward(), optimizer)
        results[form] = layer.W.copy()
    np.testing.assert_array_equal(results["fused"], results["split"])
    assert not np.allclose(results["fused"], results["plain"])  # the change took effect


def test_one_sample_as_a_vector_takes_the_same_step_as_the_split_form():
    """The derivation's per-sample SGD: x of shape (2,), a batch of one for the products."""
    split, fused = lk.mlp([2, 3, 2], seed=0), lk.mlp([2, 3, 2], seed=0)
    x, t = np.array([0.3, -0.2]), np.array([1.0, 0.0])
    loss = lk.L2Loss()
    loss(split(x), t)
    split_input_gradient = split.backward(loss.backward())
    lk.SGD(0.5).step(split)
    loss(fused(x), t)
    fused_input_gradient = fused.backward_step(loss.backward(), lk.SGD(0.5))
    assert fused_input_gradient.shape == (2,)
    np.testing.assert_array_equal(fused_input_gradient, split_input_gradient)
    for a, b in zip(split.parameters(), fused.parameters(), strict=True):
        np.testing.assert_array_equal(b.value, a.value, err_msg=b.name)


def test_each_delta_uses_the_weights_of_the_forward_pass():
    """∂L/∂x = δ Wᵀ with W before the update, as backpropagation by hand computes it."""
    dense = lk.Dense(2, 3, W=[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], b=[0.0, 0.0, 0.0])
    old_W = dense.W.copy()
    dense(np.array([[1.0, 1.0]]))
    delta = np.array([[1.0, -1.0, 2.0]])
    returned = dense.backward_step(delta, lk.SGD(1.0))
    np.testing.assert_array_equal(returned, delta @ old_W.T)
    assert not np.array_equal(dense.W, old_W)  # and the layer was updated


def test_dense_releases_its_applied_gradients_and_a_custom_layer_keeps_them():
    net = networks(np.float64)["custom layer"]()
    x, t = data(np.float64)
    loss = lk.L2Loss()
    loss(net(x), t)
    net.backward_step(loss.backward(), lk.SGD(0.1))
    assert net[0].dW is None and net[0].db is None and net[2].dW is None
    assert net[1].dg.shape == (1,)  # Amplifier writes into its array: it is kept

    loss(net(x), t)
    net.backward(loss.backward())  # a later backward fills them again
    assert net[0].dW.shape == (2, 3) and net[2].db.shape == (2,)


def test_step_without_a_gradient_names_the_parameter():
    net = lk.mlp([2, 3, 1], seed=0)
    with pytest.raises(NoGradientError, match=r"'0\.W'.*no gradient.*backward"):
        lk.SGD(0.1).step(net)

    x, t = np.ones((1, 2)), np.ones((1, 1))
    loss = lk.L2Loss()
    loss(net(x), t)
    net.backward_step(loss.backward(), lk.SGD(0.1))
    with pytest.raises(NoGradientError):  # backward_step applied them already
        lk.SGD(0.1).step(net)


def test_an_error_in_backward_step_names_the_layer_and_updates_nothing_below_it():
    net = lk.mlp([2, 3, 2], seed=0)
    before = [p.value.copy() for p in net.parameters()]
    net(np.ones((4, 2)))
    with pytest.raises(ShapeError) as caught:
        net.backward_step(np.ones((4, 3)), lk.SGD(0.1))
    assert "raised in backward of layer 3 (Sigmoid())" in caught.value.__notes__[0]
    for value, old in zip((p.value for p in net.parameters()), before, strict=True):
        np.testing.assert_array_equal(value, old)


def peak_bytes_of_training(fused: bool) -> int:
    """The tracemalloc peak of building six 64 x 64 layers and training them for two steps."""
    x, t = np.full((8, 64), 0.5), np.full((8, 64), 0.25)
    loss, sgd = lk.L2Loss(), lk.SGD(0.1)
    tracemalloc.start()
    try:
        net = lk.mlp([64] * 7, seed=0)
        for _ in range(2):
            loss(net(x), t)
            if fused:
                net.backward_step(loss.backward(), sgd)
            else:
                net.backward(loss.backward())
                sgd.step(net)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_backward_step_holds_one_layers_gradients_not_all_of_them():
    """The split form keeps all six gradients alive between backward and step; backward_step
    at most the one being applied, so its peak is lower by at least four layers' worth.
    (A memory measurement, not a timing: tracemalloc counts bytes exactly.)"""
    layer_bytes = 64 * 64 * 8
    split, fused = peak_bytes_of_training(fused=False), peak_bytes_of_training(fused=True)
    assert split - fused >= 4 * layer_bytes, (split, fused)
