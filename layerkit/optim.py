"""Optimizers: what to do with the gradients once backward has filled them."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from .errors import ConfigurationError
from .layer import Layer, Parameter
from .validation import Array

__all__ = ["SGD", "Optimizer"]


class Optimizer:
    """Base class of optimizers: ``step(model)`` updates the parameters from their gradients.

    ``lr`` is the learning rate; `fit` quotes it when training diverges.
    """

    lr: float

    def step(self, model: Layer | Iterable[Parameter]) -> None:
        """Update every parameter of ``model`` in place from its gradient."""
        raise NotImplementedError(f"{type(self).__name__} must implement step(model)")


class SGD(Optimizer):
    """Stochastic gradient descent, ``w ← w − η ∂L/∂w``, with optional momentum.

    With ``momentum`` μ > 0 each parameter keeps a velocity ``v ← μv + ∂L/∂w`` and moves by
    ``w ← w − ηv`` (the form PyTorch uses). Parameters are updated in place.

    Parameters
    ----------
    lr
        The learning rate η; finite and non-negative.
    momentum
        μ in ``[0, 1)``; 0 (default) is plain gradient descent.

    Examples
    --------
    >>> from layerkit import Dense
    >>> layer = Dense(1, 1, W=[[1.0]], b=[0.0])
    >>> _ = layer.forward(np.array([2.0]))
    >>> _ = layer.backward(np.array([1.0]))   # ∂L/∂W = 2, ∂L/∂b = 1
    >>> SGD(lr=0.5).step(layer)
    >>> layer.W, layer.b
    (array([[0.]]), array([-0.5]))
    """

    def __init__(self, lr: float, momentum: float = 0.0) -> None:
        if not _is_real(lr) or not math.isfinite(lr) or lr < 0:
            raise ConfigurationError(
                f"SGD expects a finite, non-negative learning rate, got lr={lr!r}"
            )
        if not _is_real(momentum) or not 0.0 <= momentum < 1.0:
            raise ConfigurationError(f"SGD expects momentum in [0, 1), got momentum={momentum!r}")
        self.lr = float(lr)
        self.momentum = float(momentum)
        # Velocities keyed by the parameter array itself (its id, with the array kept alive
        # so the id cannot be reused by another array).
        self._velocity: dict[int, tuple[Array, Array]] = {}

    def step(self, model: Layer | Iterable[Parameter]) -> None:
        """Update every parameter of ``model`` (a layer, or an iterable of `Parameter`)."""
        parameters = model.parameters() if isinstance(model, Layer) else model
        for parameter in parameters:
            weight, gradient = parameter.value, parameter.grad
            if self.momentum:
                gradient = self._velocity_of(weight, gradient)
            # --8<-- [start:sgd-step]
            weight -= self.lr * gradient  # w ← w − η ∂L/∂w, in place
            # --8<-- [end:sgd-step]

    def _velocity_of(self, weight: Array, gradient: Array) -> Array:
        kept = self._velocity.get(id(weight))
        if kept is None or kept[0] is not weight or kept[1].dtype != weight.dtype:
            velocity = gradient.copy()
            self._velocity[id(weight)] = (weight, velocity)
            return velocity
        velocity = kept[1]
        velocity *= self.momentum
        velocity += gradient
        return velocity

    def __repr__(self) -> str:
        return f"SGD(lr={self.lr!r}, momentum={self.momentum!r})"


def _is_real(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
