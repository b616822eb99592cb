"""Train the derivation's 2-3-2 network on the half adder with the learner's own functions."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import numpy as np

from ..datasets import half_adder
from ..explain import WORKED_EXAMPLE

__all__ = ["train_half_adder"]

EPOCHS = 3000
LEARNING_RATE = 2.0
REPORT_EVERY = 500


def train_half_adder(
    exercise: ModuleType, epochs: int = EPOCHS, lr: float = LEARNING_RATE
) -> Iterator[tuple[int, float]]:
    """Yield ``(epoch, loss)`` every few epochs of full-batch gradient descent.

    The network starts from the seed's weights; every step of the forward pass, the backward
    pass and the update is one of the learner's functions. The loss is the mean over the four
    rows of ½ Σ (y − t)².
    """
    sigmoid = exercise.sigmoid
    x, t = half_adder()
    w, b1, u, b2 = (
        np.array(WORKED_EXAMPLE[name], dtype=np.float64) for name in ("w", "b1", "u", "b2")
    )
    for epoch in range(epochs + 1):
        h = sigmoid(x @ w + b1)  # forward
        y = sigmoid(h @ u + b2)
        if epoch % REPORT_EVERY == 0:
            yield epoch, float(np.mean(0.5 * np.sum((y - t) ** 2, axis=1)))
        delta2 = exercise.output_delta(y, t) / len(x)  # the mean loss: 1/B once, here
        delta1 = exercise.hidden_delta(h, delta2, u)
        gradients = [
            exercise.weight_gradient(x, delta1),
            exercise.bias_gradient(delta1),
            exercise.weight_gradient(h, delta2),
            exercise.bias_gradient(delta2),
        ]
        w, b1, u, b2 = (
            exercise.sgd_update(p, g, lr) for p, g in zip((w, b1, u, b2), gradients, strict=True)
        )
