"""Softplus, a smooth ReLU."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from layerkit import Activation
from layerkit.validation import Array

__all__ = ["Softplus"]


class Softplus(Activation):
    """Softplus ``y = log(1 + eˣ)``, elementwise; no parameters.

    Computed as ``log1p(e^(−|x|)) + max(x, 0)``, the same function written so that the
    exponent is never positive: nothing overflows for any finite x.

    Derivative: the sigmoid, ``σ(x) = 1 − e⁻ʸ``, computed from the cached output
    (``e⁻ʸ = 1 / (1 + eˣ)``), as ``−expm1(−y)`` to stay accurate where y is tiny.

    Input shape: any. Output shape: the input's, same dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit_activations import Softplus
    >>> softplus = Softplus()
    >>> softplus(np.array([0.0, 1e4, -1e4]))
    array([6.93147181e-01, 1.00000000e+04, 0.00000000e+00])
    >>> softplus.backward(np.ones(3))
    array([0.5, 1. , 0. ])
    """

    derivative_uses_input = False  # σ(x) = 1 − e⁻ʸ needs the output alone
    derivative_returns_new = True  # and is a new array: backward multiplies into it
    derivative_at_most_one = True  # 0 <= σ(x) <= 1

    def function(self, x: Array) -> Array:
        """Return log(1 + eˣ) = log1p(e^(−|x|)) + max(x, 0)."""
        return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)

    def derivative(self, x: Array, y: Array) -> Array:
        """Return σ(x) = 1 − e⁻ʸ, from the output alone."""
        return -np.expm1(-y)

    def array_api_function(self, x: Any, xp: ModuleType) -> Any:
        """Return log1p(e^(−|x|)) + max(x, 0) with the functions of namespace ``xp``."""
        return xp.log1p(xp.exp(-xp.abs(x))) + xp.clip(x, min=0.0)

    def array_api_derivative(self, x: Any, y: Any, xp: ModuleType) -> Any:
        """Return σ(x) = 1 − e⁻ʸ, for arrays of namespace ``xp``."""
        return -xp.expm1(-y)
