"""The training loop: epochs of shuffled mini-batches of forward, loss, backward, step."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from .errors import NonFiniteError, ShapeError, TrainingDivergedError
from .layer import Layer
from .loss import Loss
from .optim import Optimizer
from .validation import as_float_array, positive_int

__all__ = ["fit"]

Callback = Callable[[int, float], bool | None]
"""Called as ``callback(epoch, loss)`` after each epoch; returning ``True`` stops training."""


def fit(
    model: Layer,
    x: ArrayLike,
    t: ArrayLike,
    *,
    loss: Loss,
    optimizer: Optimizer,
    epochs: int = 1,
    batch_size: int | None = None,
    shuffle: bool = True,
    seed: int | np.random.Generator | None = None,
    callback: Callback | None = None,
) -> list[float]:
    """Train ``model`` on inputs ``x`` and targets ``t``; return the loss of every epoch.

    Each epoch visits the samples once, in mini-batches of ``batch_size`` (a new shuffled
    order per epoch, drawn from ``seed``), and for each batch runs forward, the loss, and
    ``model.backward_step(loss.backward(), optimizer, input_grad=False)``: backward with the
    optimizer's update of each layer as soon as its gradients are known, skipping the
    gradient with respect to the data. The same seed gives bit-identical training.

    Parameters
    ----------
    model
        The network (any `Layer`, usually a `Sequential`).
    x, t
        Inputs ``(samples, features)`` and targets with the same number of samples.
    loss, optimizer
        The loss to minimise and the optimizer that applies the gradients.
    epochs
        Number of passes over the data; a positive integer.
    batch_size
        Samples per step; ``None`` (default) uses the whole data set (full-batch descent).
    shuffle
        Whether to visit the samples in a new random order each epoch.
    seed
        Seed or ``numpy.random.Generator`` for the shuffling.
    callback
        ``callback(epoch, loss)`` after each epoch (epochs count from 1); returning ``True``
        stops training early.

    Returns
    -------
    list of float
        Per epoch, the mean of its mini-batch losses weighted by batch size.

    Raises
    ------
    TrainingDivergedError
        When the loss, or a value inside the network, is NaN or infinite (overflow there is
        not warned about, it is reported this way). The step that would have used it is not
        taken, so the parameters keep their values from the last finite step.

    Examples
    --------
    >>> from layerkit import SGD, Dense, L2Loss, Sequential, Sigmoid
    >>> net = Sequential(Dense(1, 1, seed=0), Sigmoid())
    >>> history = fit(net, [[0.0], [1.0]], [[0.0], [1.0]], loss=L2Loss(),
    ...               optimizer=SGD(2.0), epochs=200, seed=0)
    >>> history[-1] < history[0]
    True
    """
    x = as_float_array(x, "fit", name="inputs x")
    t = np.asarray(t)
    if t.dtype.kind == "f":  # class labels (integers) are the loss's to check
        t = as_float_array(t, "fit", name="targets t")
    if x.ndim != 2:
        raise ShapeError(f"fit expects inputs x of shape (samples, features), got {x.shape}")
    if t.ndim == 0 or len(t) != len(x):
        raise ShapeError(
            f"fit expects as many targets as inputs ({len(x)}), got targets of shape {t.shape}"
        )
    epochs = positive_int(epochs, "fit", "epochs")
    samples = len(x)
    batch_size = samples if batch_size is None else positive_int(batch_size, "fit", "batch_size")
    rng = np.random.default_rng(seed)

    history: list[float] = []
    # Overflow inside the network is not warned about: it is caught below as divergence.
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(1, epochs + 1):
            order = rng.permutation(samples) if shuffle else np.arange(samples)
            total = 0.0
            for start in range(0, samples, batch_size):
                batch = order[start : start + batch_size]
                try:
                    value = loss.forward(model.forward(x[batch]), t[batch])
                except NonFiniteError as error:  # the data is finite: the network overflowed
                    raise _diverged(
                        epoch, start, "a value inside the network", optimizer
                    ) from error
                if not math.isfinite(value):
                    raise _diverged(epoch, start, f"{loss!r} (it became {value})", optimizer)
                # backward with each layer's update; ∂L/∂x of the data is not needed
                model.backward_step(loss.backward(), optimizer, input_grad=False)
                total += value * len(batch)
            history.append(total / samples)
            if callback is not None and callback(epoch, history[-1]):
                break
    return history


def _diverged(epoch: int, start: int, what: str, optimizer: Optimizer) -> TrainingDivergedError:
    return TrainingDivergedError(
        f"training diverged in epoch {epoch}: {what} was not finite on the batch starting at "
        f"sample {start}; the parameters keep their values from the last finite step. "
        f"Try a smaller learning rate (now {optimizer.lr})."
    )
