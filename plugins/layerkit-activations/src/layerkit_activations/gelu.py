"""The Gaussian error linear unit, in its tanh approximation."""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

from layerkit import Activation
from layerkit.validation import Array

__all__ = ["GELU"]

_C = math.sqrt(2 / math.pi)  # √(2/π)
_A = 0.044715
_SATURATED = 30.0  # beyond ±30, σ(2u) is 0 or 1 and σ'(2u) x³ is 0 in float32 and float64


class GELU(Activation):
    """GELU ``y = x Φ(x)`` in the tanh approximation; elementwise, no parameters.

    The exact GELU weighs x by Φ(x), the standard normal CDF. It is computed here with the
    widely used tanh approximation (as in BERT, GPT-2 and PyTorch's ``approximate="tanh"``),

        y = ½ x (1 + tanh u),    u = √(2/π) (x + 0.044715 x³),

    which differs from the exact ``x Φ(x)`` by less than 5e-4 everywhere and avoids
    ``math.erf``, which NumPy has no vectorised version of.

    Derivative: the exact derivative of the approximation,

        y' = ½ (1 + tanh u) + ½ x (1 − tanh² u) √(2/π) (1 + 3 · 0.044715 x²).

    Both are computed with ½ (1 + tanh u) = σ(2u), the logistic sigmoid, in its stable form
    (its exponent is never positive), and ½ (1 − tanh² u) = 2 σ(2u) (1 − σ(2u)). Beyond
    |x| = 30, u is taken at ±30: σ(2u) is then exactly 0 or 1 and the second term of y'
    exactly 0 in float32 and float64, so the cube never overflows and y = x (or −0) and
    y' = 1 (or 0) hold for every finite x, up to ±1.8e308.

    Input shape: any. Output shape: the input's, same dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit_activations import GELU
    >>> gelu = GELU()
    >>> gelu(np.array([-3.0, 0.0, 1.0, 3.0])).round(4)
    array([-0.0036,  0.    ,  0.8412,  2.9964])
    >>> gelu.backward(np.ones(4)).round(4)
    array([-0.0116,  0.5   ,  1.083 ,  1.0116])
    >>> gelu(np.array([-1e308, 1e308]))
    array([-0.e+000,  1.e+308])
    """

    derivative_returns_new = True  # the formula makes a new array: backward multiplies into it

    def function(self, x: Array) -> Array:
        """Return ½ x (1 + tanh(√(2/π) (x + 0.044715 x³))) = x σ(2u)."""
        return x * _sigmoid_of_2u(x)

    def derivative(self, x: Array, y: Array) -> Array:
        """Return σ(2u) + 2 x σ(2u) (1 − σ(2u)) √(2/π) (1 + 3 · 0.044715 x²)."""
        s = _sigmoid_of_2u(x)
        near = np.clip(x, -_SATURATED, _SATURATED)  # where the second term is not 0
        return s + 2.0 * near * s * (1.0 - s) * _C * (1.0 + 3 * _A * near * near)

    def array_api_function(self, x: Any, xp: ModuleType) -> Any:
        """Return x σ(2u) with the functions of namespace ``xp``."""
        return x * _sigmoid_of_2u_xp(x, xp)

    def array_api_derivative(self, x: Any, y: Any, xp: ModuleType) -> Any:
        """Return GELU'(x) as `derivative` does, for arrays of namespace ``xp``."""
        s = _sigmoid_of_2u_xp(x, xp)
        near = xp.clip(x, min=-_SATURATED, max=_SATURATED)
        return s + 2.0 * near * s * (1.0 - s) * _C * (1.0 + 3 * _A * near * near)


def _sigmoid_of_2u_xp(x: Any, xp: ModuleType) -> Any:
    """`_sigmoid_of_2u` with the functions of namespace ``xp``."""
    near = xp.clip(x, min=-_SATURATED, max=_SATURATED)
    two_u = 2.0 * _C * (near + _A * near * near * near)
    e = xp.exp(-xp.abs(two_u))  # in (0, 1]: nothing overflows
    return xp.where(two_u >= 0, 1.0, e) / (1.0 + e)


def _sigmoid_of_2u(x: Array) -> Array:
    """σ(2u) = ½ (1 + tanh u) for u = √(2/π) (x + 0.044715 x³), with x taken within ±30."""
    near = np.clip(x, -_SATURATED, _SATURATED)
    two_u = 2.0 * _C * (near + _A * near * near * near)
    e = np.exp(-np.abs(two_u))  # in (0, 1]: nothing overflows
    return np.where(two_u >= 0, 1.0, e) / (1.0 + e)
