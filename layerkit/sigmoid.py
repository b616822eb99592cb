"""The logistic sigmoid σ(a) = 1 / (1 + e⁻ᵃ), the unit of the derivation."""

from __future__ import annotations

import numpy as np

from .activation import Activation
from .validation import Array

__all__ = ["Sigmoid"]


class Sigmoid(Activation):
    """Logistic sigmoid ``y = 1 / (1 + exp(-a))``, elementwise; no parameters.

    Stable for every finite input (no overflow warning even at ``a = -1e4``). ``backward``
    multiplies the incoming gradient by σ'(a) = y(1 − y), computed from the cached output.

    Input shape: any. Output shape: the input's.

    Examples
    --------
    >>> sigmoid = Sigmoid()
    >>> sigmoid(np.array([0.0, -1e4, 1e4]))
    array([0.5, 0. , 1. ])
    >>> sigmoid.backward(np.ones(3))
    array([0.25, 0.  , 0.  ])
    """

    # --8<-- [start:forward]
    def function(self, x: Array) -> Array:
        """Return σ(x) = 1 / (1 + e⁻ˣ)."""
        # e^(−|x|) lies in (0, 1], so nothing overflows, for any finite x.
        e = np.abs(x, out=np.empty_like(x))
        np.negative(e, out=e)
        np.exp(e, out=e)
        y = np.add(e, 1.0, out=np.empty_like(e))
        np.reciprocal(y, out=y)  # σ(|x|) = 1 / (1 + e^(−|x|))
        np.multiply(y, e, out=y, where=x < 0)  # σ(x) = e^x / (1 + e^x) = e^x σ(|x|) for x < 0
        return y

    # --8<-- [end:forward]

    # --8<-- [start:backward]
    def derivative(self, x: Array, y: Array) -> Array:
        """Return σ'(x) = σ(x)(1 − σ(x)) = y(1 − y), from the cached output alone."""
        return y * (1.0 - y)

    # --8<-- [end:backward]
