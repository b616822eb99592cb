"""fit after divergence: every parameter is finite and exactly what the message says it is.

The step itself can overflow (a learning rate of 1e308 on inputs of 1e10), and with a sigmoid
output the loss can stay finite while a weight is infinite; neither may leave ±inf or NaN in
the model, whatever the optimizer.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import layerkit as lk
from layerkit.errors import TrainingDivergedError

pytestmark = pytest.mark.guarantee("divergence")


def weights_of(model: lk.Layer) -> dict[str, np.ndarray]:
    return {p.name: p.value.copy() for p in model.parameters()}


def restored_epoch(message: str) -> int:
    """The epoch whose end the parameters were restored to, as the message says (0: before)."""
    if "restored to their values before training" in message:
        return 0
    return int(re.search(r"restored to their values after epoch (\d+)", message).group(1))


def train_until_divergence(model, x, t, optimizer, **options) -> tuple[str, dict]:
    """Run fit until it diverges; return the message and the weights after every epoch."""
    after_epoch = {0: weights_of(model)}

    def record(epoch, loss):
        after_epoch[epoch] = weights_of(model)

    with pytest.raises(TrainingDivergedError) as caught:
        lk.fit(model, x, t, loss=lk.L2Loss(), optimizer=optimizer, callback=record, **options)
    return str(caught.value), after_epoch


def assert_restored_as_said(model, message, after_epoch):
    """Every parameter is finite and equal to the values after the epoch the message names."""
    kept = after_epoch[restored_epoch(message)]
    for parameter in model.parameters():
        assert np.all(np.isfinite(parameter.value)), parameter.name
        np.testing.assert_array_equal(parameter.value, kept[parameter.name], parameter.name)


def sigmoid_net() -> lk.Sequential:
    return lk.Sequential(lk.Dense(1, 2, seed=0), lk.Sigmoid(), lk.Dense(2, 1, seed=1), lk.Sigmoid())


HUGE = (np.array([[1e10], [-1e10], [2e10]]), np.array([[1.0], [0.0], [1.0]]))


def test_a_step_that_overflows_the_weights_is_rolled_back():
    """SGD(1e308) on inputs of 1e10: the step makes W infinite while the sigmoid keeps the
    loss finite. Before the fix fit returned (or diverged later) with ±inf weights."""
    net = sigmoid_net()
    message, after_epoch = train_until_divergence(net, *HUGE, lk.SGD(1e308), epochs=5)
    assert "training diverged in epoch" in message and "smaller learning rate" in message
    assert_restored_as_said(net, message, after_epoch)


def test_momentum_velocities_are_restored_after_divergence():
    """After divergence, the same SGD with momentum can train again: its velocities, which
    the overflow reached, were restored with the parameters, as the message says."""
    x, t = np.array([[1.0], [2.0], [3.0]]), np.array([[0.0], [1.0], [0.0]])
    net = lk.Dense(1, 1, seed=0)
    optimizer = lk.SGD(1e6, momentum=0.9)
    message, after_epoch = train_until_divergence(net, x, t, optimizer, epochs=1000)
    assert "the parameters and the optimizer's state were restored" in message
    assert_restored_as_said(net, message, after_epoch)
    kept = optimizer.state_dict(net).values()  # empty when restored to before training
    assert all(np.isfinite(velocity).all() for state in kept for velocity in state.values())
    optimizer.lr = 1e-3  # an infinite velocity left over would make this diverge at once
    lk.fit(net, x, t, loss=lk.L2Loss(), optimizer=optimizer, epochs=3)
    assert all(np.all(np.isfinite(p.value)) for p in net.parameters())


class DoublingSteps(lk.Optimizer):
    """A custom optimizer with state: each step is twice the last one, w ← w − 2ᵏ η sign(g)."""

    def __init__(self, lr: float) -> None:
        self.lr = lr
        self.scale: dict[int, float] = {}
        self.resets = 0

    def update(self, value, grad, *, overwrite_grad=False):
        scale = self.scale[id(value)] = 2 * self.scale.get(id(value), 0.5)
        value -= self.lr * scale * np.sign(grad)

    def reset(self):
        self.scale.clear()
        self.resets += 1


def test_a_custom_optimizer_is_rolled_back_and_reset():
    """Any Optimizer subclass: its steps overflow to -inf; the parameters come back finite,
    and its reset() is called once."""
    net = lk.Sequential(lk.Dense(2, 3, seed=0), lk.Sigmoid(), lk.Dense(3, 1, seed=1))
    x, t = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[1.0], [0.0]])
    optimizer = DoublingSteps(1e300)
    message, after_epoch = train_until_divergence(net, x, t, optimizer, epochs=100)
    assert optimizer.resets == 1
    assert_restored_as_said(net, message, after_epoch)


def test_overflow_in_the_middle_of_an_epoch_restores_the_last_checked_epoch():
    """With mini-batches the overflow comes part-way through an epoch; the parameters go
    back to the end of an earlier epoch, the one the message names, not to a half-epoch."""
    x = np.linspace(-1, 1, 16).reshape(8, 2)
    t = np.tile([[0.0], [1.0]], (4, 1))
    net = lk.Sequential(lk.Dense(2, 4, seed=0), lk.Sigmoid(), lk.Dense(4, 1, seed=1))
    message, after_epoch = train_until_divergence(
        net, x, t, lk.SGD(20.0), epochs=1000, batch_size=1, seed=0
    )
    diverged = int(re.search(r"diverged in epoch (\d+)", message).group(1))
    sample = int(re.search(r"batch starting at position (\d+)", message).group(1))
    assert 0 < restored_epoch(message) < diverged and sample > 0
    assert_restored_as_said(net, message, after_epoch)


def test_weights_that_go_infinite_in_the_last_epoch_are_caught():
    """One epoch, one step: the loss was finite, the step made the weights infinite, and no
    later forward would have noticed. fit checks the parameters before it returns."""
    net = sigmoid_net()
    message, after_epoch = train_until_divergence(net, *HUGE, lk.SGD(1e308), epochs=1)
    assert "parameter" in message and restored_epoch(message) == 0
    assert_restored_as_said(net, message, after_epoch)


def test_a_callback_that_stops_training_does_not_skip_the_check():
    """Stopping early through the callback still checks the parameters it leaves."""
    net = sigmoid_net()
    with pytest.raises(TrainingDivergedError):
        lk.fit(
            net,
            *HUGE,
            loss=lk.L2Loss(),
            optimizer=lk.SGD(1e308),
            epochs=50,
            callback=lambda epoch, loss: True,
        )
    assert all(np.all(np.isfinite(p.value)) for p in net.parameters())


def test_a_model_that_starts_non_finite_is_refused_before_training():
    """The first snapshot is the untrained model; fit checks it is finite rather than claim
    later that a NaN it never looked at was "the last point where all were finite"."""
    net = sigmoid_net()
    net[2].W[1, 0] = np.nan
    with pytest.raises(lk.errors.NonFiniteError, match=r"'2\.W' holds NaN") as caught:
        lk.fit(net, *HUGE, loss=lk.L2Loss(), optimizer=lk.SGD(0.1))
    assert not isinstance(caught.value, TrainingDivergedError)
