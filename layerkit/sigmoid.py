"""The logistic sigmoid σ(a) = 1 / (1 + e⁻ᵃ), the unit of the derivation."""

from __future__ import annotations

from types import ModuleType
from typing import Any

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
    >>> import numpy as np
    >>> from layerkit import Sigmoid
    >>> sigmoid = Sigmoid()
    >>> sigmoid(np.array([0.0, -1e4, 1e4]))
    array([0.5, 0. , 1. ])
    >>> sigmoid.backward(np.ones(3))
    array([0.25, 0.  , 0.  ])
    """

    derivative_uses_input = False  # σ' is written with the output alone
    derivative_returns_new = True  # 1 − y is a new array: backward multiplies into it
    derivative_at_most_one = True  # σ' <= ¼: a finite gradient stays finite

    # --8<-- [start:forward]
    # For x < −709 (−88 in float32) e⁻ˣ overflows to inf, and 1 / (1 + inf) = 0 is σ(x) to
    # within the smallest float: the overflow is harmless, so it is not warned about. (As a
    # decorator, errstate costs half of what a with-block does on every call.)
    @np.errstate(over="ignore")
    def function(self, x: Array) -> Array:
        """Return σ(x) = 1 / (1 + e⁻ˣ)."""
        y = np.negative(x) if x.ndim else np.negative(x, out=np.empty_like(x))  # 0-d stays an array
        np.exp(y, out=y)
        y += 1.0
        # 1 / y as a division: np.reciprocal has no SIMD loop and is 1.5-2x slower here
        return np.divide(1.0, y, out=y)

    # --8<-- [end:forward]

    def array_api_function(self, x: Any, xp: ModuleType) -> Any:
        """Return σ(x) = 1 / (1 + e⁻ˣ) with the functions of namespace ``xp``."""
        return 1.0 / (1.0 + xp.exp(-x))

    def array_api_derivative(self, x: Any, y: Any, xp: ModuleType) -> Any:
        """Return σ'(x) = y(1 − y) for arrays of namespace ``xp``."""
        return (1.0 - y) * y

    # --8<-- [start:backward]
    def derivative(self, x: Array | None, y: Array) -> Array:
        """Return σ'(x) = σ(x)(1 − σ(x)) = y(1 − y), from the cached output alone."""
        slope = 1.0 - y
        slope *= y
        return slope

    # --8<-- [end:backward]
