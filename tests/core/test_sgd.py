"""SGD with and without momentum, against the update rule written out by hand.

Also: backward overwrites the gradients (it does not add to them), so there is no
zero_grad to forget between steps.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest

import layerkit as lk

INPUTS = [
    np.array([[0.3, -0.7], [1.0, 0.5]]),
    np.array([[-1.2, 0.4], [0.2, 0.9]]),
    np.array([[0.5, 0.5], [-0.3, -0.1]]),
    np.array([[2.0, -1.0], [0.0, 0.6]]),
]
TARGET = np.array([[1.0, 0.0], [0.0, 1.0]])


def gradient_step(net: lk.Layer, x: np.ndarray) -> None:
    """forward, L2Loss and backward: fill every gradient of ``net`` for input ``x``."""
    loss = lk.L2Loss()
    loss(net(x), TARGET)
    net.backward(loss.backward())


def test_plain_sgd_moves_against_the_gradient(seed_network):
    """Without momentum, one step is w ← w − η ∂L/∂w for every parameter."""
    gradient_step(seed_network, INPUTS[0])
    expected = {p.name: p.value - 0.3 * p.grad for p in seed_network.parameters()}
    lk.SGD(lr=0.3).step(seed_network)
    for parameter in seed_network.parameters():
        np.testing.assert_array_equal(parameter.value, expected[parameter.name])


@pytest.mark.parametrize("momentum", [0.5, 0.9])
def test_momentum_matches_a_hand_written_velocity(seed_network, momentum):
    """Over four steps: v ← μv + ∂L/∂w (v starts at the first gradient), w ← w − ηv."""
    lr = 0.1
    optimizer = lk.SGD(lr=lr, momentum=momentum)
    weights = {p.name: p.value.copy() for p in seed_network.parameters()}
    velocity = {name: None for name in weights}

    for x in INPUTS:
        gradient_step(seed_network, x)
        for parameter in seed_network.parameters():
            name, grad = parameter.name, parameter.grad
            if velocity[name] is None:
                velocity[name] = grad.copy()
            else:
                velocity[name] = momentum * velocity[name] + grad
            weights[name] = weights[name] - lr * velocity[name]
        optimizer.step(seed_network)
        for parameter in seed_network.parameters():
            np.testing.assert_allclose(parameter.value, weights[parameter.name], rtol=0, atol=1e-14)


def test_momentum_differs_from_plain_sgd_after_the_first_step(seed_weights):
    """Step one is the same with or without momentum; from step two on they part."""

    def two_steps(momentum):
        net = lk.Sequential(lk.Dense(2, 2, W=seed_weights["w"][:, :2], b=seed_weights["b2"]))
        optimizer = lk.SGD(lr=0.1, momentum=momentum)
        trajectory = []
        for x in INPUTS[:2]:
            gradient_step(net, x)
            optimizer.step(net)
            trajectory.append(net[0].W.copy())
        return trajectory

    plain, heavy = two_steps(0.0), two_steps(0.9)
    np.testing.assert_array_equal(plain[0], heavy[0])
    assert not np.allclose(plain[1], heavy[1])


def test_zero_learning_rate_changes_nothing(seed_network):
    """lr = 0 is allowed and leaves every weight as it was."""
    before = [p.value.copy() for p in seed_network.parameters()]
    gradient_step(seed_network, INPUTS[0])
    lk.SGD(lr=0.0, momentum=0.9).step(seed_network)
    for parameter, kept in zip(seed_network.parameters(), before, strict=True):
        np.testing.assert_array_equal(parameter.value, kept)


def test_step_accepts_a_list_of_parameters(seed_network):
    """step also takes an iterable of Parameters, e.g. to train only the last layer."""
    first_W = seed_network[0].W.copy()
    last_W = seed_network[2].W.copy()
    gradient_step(seed_network, INPUTS[0])
    lk.SGD(lr=0.5).step(seed_network[2].parameters())
    np.testing.assert_array_equal(seed_network[0].W, first_W)
    assert not np.array_equal(seed_network[2].W, last_W)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_step_leaves_the_gradients_as_backward_left_them(seed_network, momentum):
    """step reads the layers' gradients and never writes into them."""
    optimizer = lk.SGD(lr=0.3, momentum=momentum)
    for x in INPUTS[:2]:
        gradient_step(seed_network, x)
        kept = [p.grad.copy() for p in seed_network.parameters()]
        optimizer.step(seed_network)
        for parameter, grad in zip(seed_network.parameters(), kept, strict=True):
            np.testing.assert_array_equal(parameter.grad, grad, err_msg=parameter.name)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_update_overwriting_the_gradient_moves_the_weights_the_same(momentum):
    """overwrite_grad=True only changes where η ∂L/∂w is computed, not the result."""
    rng = np.random.default_rng(0)
    kept, scratch = lk.SGD(0.3, momentum=momentum), lk.SGD(0.3, momentum=momentum)
    w_kept = rng.normal(size=(3, 4)).astype(np.float32)
    w_scratch = w_kept.copy()
    for _ in range(3):
        grad = rng.normal(size=(3, 4)).astype(np.float32)
        kept.update(w_kept, grad.copy())
        scratch.update(w_scratch, grad.copy(), overwrite_grad=True)
        np.testing.assert_array_equal(w_scratch, w_kept)
        assert w_scratch.dtype == np.float32


class FactorSpy(np.ndarray):
    """An array that records the shapes of the arrays each ufunc it enters is applied to."""

    calls: ClassVar[list[tuple[str, list[tuple[int, ...]]]]] = []

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        shapes = [np.shape(value) for value in inputs]
        FactorSpy.calls.append((ufunc.__name__, shapes))
        plain = [x.view(np.ndarray) if isinstance(x, FactorSpy) else x for x in inputs]
        return getattr(ufunc, method)(*plain, **kwargs)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_update_product_takes_the_step_of_the_formed_gradient(momentum, dtype):
    """update_product(w, L, R) moves w as update(w, L @ R) does, to rounding (bit for bit when
    η is a power of two, and with momentum, where the product is formed)."""
    rng = np.random.default_rng(1)
    for lr, exact in ((0.5, True), (0.1, momentum > 0)):
        formed, factored = lk.SGD(lr, momentum=momentum), lk.SGD(lr, momentum=momentum)
        w_formed = rng.normal(size=(6, 4)).astype(dtype)
        w_factored, w_initial = w_formed.copy(), w_formed.copy()
        for _ in range(3):
            left, right = rng.normal(size=(6, 3)).astype(dtype), rng.normal(size=(3, 4))
            right = right.astype(dtype)
            formed.update(w_formed, left @ right)
            factored.update_product(w_factored, left, right)
            assert w_factored.dtype == dtype
            if exact:
                np.testing.assert_array_equal(w_factored, w_formed)
            else:
                np.testing.assert_allclose(
                    w_factored, w_formed, rtol=0, atol=8 * np.finfo(dtype).eps
                )
        assert not np.allclose(w_factored, w_initial)  # it did move


@pytest.mark.parametrize("left_shape, right_shape", [((50, 2), (2, 40)), ((2, 3), (3, 60))])
def test_plain_sgd_scales_the_smaller_factor_not_the_product(left_shape, right_shape):
    """η(LR) = L(ηR): the multiplication by η touches the smaller factor, never the product."""
    rng = np.random.default_rng(2)
    left = rng.normal(size=left_shape).view(FactorSpy)
    right = rng.normal(size=right_shape).view(FactorSpy)
    w = rng.normal(size=(left_shape[0], right_shape[1]))
    expected = w - 0.1 * (left.view(np.ndarray) @ right.view(np.ndarray))
    FactorSpy.calls = []
    lk.SGD(0.1).update_product(w, left, right)
    np.testing.assert_allclose(w, expected, rtol=1e-13)
    smaller = min(left_shape, right_shape, key=lambda shape: shape[0] * shape[1])
    scaled = [shapes for name, shapes in FactorSpy.calls if name == "multiply"]
    assert scaled == [[(), smaller]]


def test_an_optimizer_with_only_update_gets_the_formed_product():
    """The default update_product forms left @ right and hands it to update as scratch."""

    class Recorder(lk.Optimizer):
        lr = 1.0

        def __init__(self) -> None:
            self.seen: list[tuple[np.ndarray, bool]] = []

        def update(self, value, grad, *, overwrite_grad=False):
            self.seen.append((grad.copy(), overwrite_grad))

    left, right = np.arange(6.0).reshape(3, 2), np.arange(8.0).reshape(2, 4)
    recorder = Recorder()
    recorder.update_product(np.zeros((3, 4)), left, right)
    [(grad, overwrite)] = recorder.seen
    np.testing.assert_array_equal(grad, left @ right)
    assert overwrite


# -------------------------------------------------------------- overwritten, not accumulated


def test_two_backward_calls_give_the_same_gradient_not_double(seed_network):
    """Calling backward twice for the same forward leaves each gradient as after one call."""
    loss = lk.L2Loss()
    loss(seed_network(INPUTS[0]), TARGET)
    seed_network.backward(loss.backward())
    once = [p.grad.copy() for p in seed_network.parameters()]
    seed_network.backward(loss.backward())
    for parameter, first in zip(seed_network.parameters(), once, strict=True):
        np.testing.assert_array_equal(parameter.grad, first, err_msg=parameter.name)


def test_gradients_are_those_of_the_last_batch_only(seed_weights):
    """After batches A then B, the gradients equal those of a fresh network given only B."""

    def network():
        return lk.Dense(2, 3, W=seed_weights["w"], b=seed_weights["b1"])

    layer = network()
    for x in INPUTS[:2]:
        layer(x)
        layer.backward(np.ones((2, 3)))
    fresh = network()
    fresh(INPUTS[1])
    fresh.backward(np.ones((2, 3)))
    np.testing.assert_array_equal(layer.dW, fresh.dW)
    np.testing.assert_array_equal(layer.db, fresh.db)
