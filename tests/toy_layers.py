"""A custom layer for tests: what a user writes by subclassing `layerkit.Layer`."""

from __future__ import annotations

import numpy as np

import layerkit as lk


class Amplifier(lk.Layer):
    """y = g · x with one trainable gain ``g``, computed in the dtype of ``x``.

    Like many hand-written layers it writes its gradient into its own array in place, so
    nothing of layerkit releases or replaces it.
    """

    param_names = ("g",)

    def __init__(self, gain: float = 1.0) -> None:
        self.g = np.array([gain])
        self.dg = np.zeros(1)

    def forward(self, x):
        self._x = np.asarray(x)
        return (self.g * self._x).astype(self._x.dtype)

    def backward(self, grad):
        self.dg[:] = np.sum(grad * self._x)
        return (grad * self.g).astype(np.asarray(grad).dtype)
