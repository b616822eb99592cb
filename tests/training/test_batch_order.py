"""fit's batch order is what its docstring says, so a run can be replayed with plain NumPy.

The docstring: ``rng = numpy.random.default_rng(seed)`` once per call; each epoch draws
``order = rng.permutation(n)`` when shuffling (``arange(n)`` otherwise); batches are the
consecutive slices ``order[i : i + batch_size]``, the last one shorter; ``initial_epoch=k``
draws and discards the first k permutations. Two replays: the sample indices of every batch,
recorded by a loss that sees the targets, and a whole training run of a linear model written
out in NumPy, which must end on the same numbers bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerkit as lk

pytestmark = pytest.mark.guarantee("training")


class IndexRecorder(lk.L2Loss):
    """L2, remembering the targets of every batch: each target is its sample's index."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[int]] = []

    def forward(self, y, t):
        self.batches.append([int(i) for i in np.asarray(t)[:, 0]])
        return super().forward(y, t)


def recorded_batches(*, samples, batch_size, epochs, shuffle=True, seed=0, initial_epoch=0):
    x = np.linspace(0.0, 1.0, samples).reshape(-1, 1)
    t = np.arange(samples, dtype=np.float64).reshape(-1, 1)  # the sample's own index
    loss = IndexRecorder()
    net = lk.Dense(1, 1, seed=0)
    lk.fit(
        net,
        x,
        t,
        loss=loss,
        optimizer=lk.SGD(0.0),  # nothing moves: only the order matters here
        epochs=epochs,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        initial_epoch=initial_epoch,
    )
    # fit's forward of the first batch; L2Loss checks every target with no forward call
    return loss.batches[1:]


def replayed_batches(*, samples, batch_size, epochs, shuffle=True, seed=0, initial_epoch=0):
    """The docstring's recipe, in plain NumPy."""
    rng = np.random.default_rng(seed)
    batches = []
    for epoch in range(1, epochs + 1):
        order = rng.permutation(samples) if shuffle else np.arange(samples)
        if epoch <= initial_epoch:
            continue  # drawn and discarded
        batches += [order[i : i + batch_size].tolist() for i in range(0, samples, batch_size)]
    return batches


@pytest.mark.parametrize(
    "options",
    [
        {"samples": 10, "batch_size": 3, "epochs": 4},  # the last batch of each epoch has 1
        {"samples": 10, "batch_size": 5, "epochs": 3, "seed": 12345},
        {"samples": 7, "batch_size": 7, "epochs": 2},  # full batch, still shuffled
        {"samples": 9, "batch_size": 4, "epochs": 3, "shuffle": False},
        {"samples": 10, "batch_size": 3, "epochs": 6, "initial_epoch": 4},
        {"samples": 10, "batch_size": 3, "epochs": 3, "initial_epoch": 3},  # nothing left
    ],
)
def test_every_batch_holds_the_samples_the_docstring_says(options):
    assert recorded_batches(**options) == replayed_batches(**options)


def test_the_first_epoch_of_a_resumed_run_is_epoch_k_plus_1_of_the_whole_run():
    whole = recorded_batches(samples=10, batch_size=4, epochs=5, seed=3)
    resumed = recorded_batches(samples=10, batch_size=4, epochs=5, seed=3, initial_epoch=2)
    assert resumed == whole[2 * 3 :]  # 3 batches an epoch


def test_a_linear_model_replayed_in_numpy_ends_on_the_same_bits():
    """Dense(3→2) with the L2 loss and SGD, trained by fit and by a loop written out from the
    formulas with the same NumPy operations: the weights and every epoch's loss are equal
    bit for bit."""
    rng = np.random.default_rng(7)
    x, t = rng.normal(size=(11, 3)), rng.normal(size=(11, 2))
    W0, b0 = rng.normal(size=(3, 2)), rng.normal(size=2)
    lr, batch_size, epochs, seed = 0.05, 4, 5, 21

    net = lk.Dense(3, 2, W=W0, b=b0)
    history = lk.fit(
        net, x, t, loss="l2", optimizer=lk.SGD(lr), epochs=epochs, batch_size=batch_size, seed=seed
    )

    W, b = W0.copy(), b0.copy()
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        total = 0.0
        for start in range(0, len(x), batch_size):
            batch = order[start : start + batch_size]
            xb, tb = x[batch], t[batch]
            a = xb @ W  # forward: a = xW + b
            a += b
            difference = a - tb  # L = ½ Σ (a − t)² / batch
            scale = 1.0 / len(batch)
            value = 0.5 * float(np.vdot(difference, difference)) * scale
            delta = difference * scale  # δ = ∂L/∂a
            # SGD scales the smaller factor of ∂L/∂W = xᵀδ by η: here δ (batch × 2)
            assert delta.size <= xb.size
            W -= xb.T @ np.multiply(lr, delta)
            b -= np.multiply(lr, np.ones(len(batch)) @ delta)  # ∂L/∂b = 1ᵀδ
            total += value * len(batch)
        losses.append(total / len(x))

    assert list(history) == losses
    np.testing.assert_array_equal(net.W, W, strict=True)
    np.testing.assert_array_equal(net.b, b, strict=True)
