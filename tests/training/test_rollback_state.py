"""After divergence the optimizer's state comes back with the parameters, from one snapshot.

fit's snapshot holds the parameters and ``optimizer.state_dict(model)`` of the same epoch;
a rollback loads both, so the optimizer goes on from that epoch (SGD's velocities as they
were then, not zero), as it would from a checkpoint of that epoch.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from training_support import weights_of

import layerkit as lk

pytestmark = pytest.mark.guarantee("divergence")


class StateRecorder(lk.Callback):
    """The parameters and the optimizer's state at the end of every epoch."""

    def __init__(self) -> None:
        self.weights: dict[int, dict] = {}
        self.states: dict[int, dict] = {}

    def on_epoch_end(self, epoch, logs):
        self.weights[epoch] = weights_of(self.model)
        self.states[epoch] = self.optimizer.state_dict(self.model)


class Growing(lk.Callback):
    """Multiplies the learning rate each epoch, so that training diverges after a while."""

    def on_epoch_end(self, epoch, logs):
        self.optimizer.lr *= 3.0


def test_the_optimizer_state_is_restored_from_the_snapshot_epoch():
    x = np.linspace(-1, 1, 16).reshape(8, 2)
    t = np.tile([[0.0], [1.0]], (4, 1))
    net = lk.Sequential(lk.Dense(2, 4, seed=0), lk.Sigmoid(), lk.Dense(4, 1, seed=1))
    sgd = lk.SGD(0.05, momentum=0.9)
    recorder = StateRecorder()
    with pytest.raises(lk.errors.TrainingDivergedError) as caught:
        lk.fit(net, x, t, loss="l2", optimizer=sgd, epochs=500, batch_size=2, seed=0,
               callbacks=[recorder, Growing()])  # fmt: skip
    epoch = int(re.search(r"restored to their values after epoch (\d+)", str(caught.value))[1])
    assert epoch > 0  # a snapshot after training began, with velocities in it
    restored = sgd.state_dict(net)
    assert restored.keys() == recorder.states[epoch].keys() == {"0.W", "0.b", "2.W", "2.b"}
    for name, state in restored.items():
        np.testing.assert_array_equal(
            state["momentum_buffer"], recorder.states[epoch][name]["momentum_buffer"]
        )
    for name, value in weights_of(net).items():
        np.testing.assert_array_equal(value, recorder.weights[epoch][name])


class CountingSteps(lk.Optimizer):
    """An optimizer whose only state is a step count per parameter, in ``state_of``."""

    def __init__(self, lr: float) -> None:
        self.lr = lr

    def update(self, value, grad, *, overwrite_grad=False):
        state = self.state_of(value)
        state["step"] = state.get("step", np.array(0, np.int64)) + 1
        value -= self.lr * grad


def test_a_non_finite_optimizer_state_counts_as_divergence():
    """A velocity that overflows while the weights stay finite is caught at the snapshot."""

    class Overflowing(CountingSteps):
        def update(self, value, grad, *, overwrite_grad=False):
            super().update(value, grad)
            self.state_of(value)["velocity"] = np.full_like(value, np.inf)

    x, t = np.array([[0.0], [1.0]]), np.array([[0.0], [1.0]])
    net = lk.Dense(1, 1, seed=0)
    with pytest.raises(lk.errors.TrainingDivergedError, match="optimizer's state 'velocity'"):
        lk.fit(net, x, t, loss="l2", optimizer=Overflowing(0.1), epochs=40)
    assert np.isfinite(net.W).all()
