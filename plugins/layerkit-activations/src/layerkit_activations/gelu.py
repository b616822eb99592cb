"""The Gaussian error linear unit, in its tanh approximation."""

from __future__ import annotations

import math

import numpy as np

from layerkit import Activation
from layerkit.validation import Array

__all__ = ["GELU"]

_C = math.sqrt(2 / math.pi)  # √(2/π)
_A = 0.044715


class GELU(Activation):
    """GELU ``y = x Φ(x)`` in the tanh approximation; elementwise, no parameters.

    The exact GELU weighs x by Φ(x), the standard normal CDF. It is computed here with the
    widely used tanh approximation (as in BERT, GPT-2 and PyTorch's ``approximate="tanh"``),

        y = ½ x (1 + tanh u),    u = √(2/π) (x + 0.044715 x³),

    which differs from the exact ``x Φ(x)`` by less than 5e-4 everywhere and avoids
    ``math.erf``, which NumPy has no vectorised version of.

    Derivative: the exact derivative of the approximation,

        y' = ½ (1 + tanh u) + ½ x (1 − tanh² u) √(2/π) (1 + 3 · 0.044715 x²).

    tanh saturates without overflow; the cube stays finite for |x| up to about 1e12 in
    float32 (1e100 in float64).

    Input shape: any. Output shape: the input's, same dtype.

    Examples
    --------
    >>> gelu = GELU()
    >>> gelu(np.array([-3.0, 0.0, 1.0, 3.0])).round(4)
    array([-0.0036,  0.    ,  0.8412,  2.9964])
    >>> gelu.backward(np.ones(4)).round(4)
    array([-0.0116,  0.5   ,  1.083 ,  1.0116])
    """

    derivative_returns_new = True  # the formula makes a new array: backward multiplies into it

    def function(self, x: Array) -> Array:
        """Return ½ x (1 + tanh(√(2/π) (x + 0.044715 x³)))."""
        return 0.5 * x * (1.0 + np.tanh(_C * (x + _A * x**3)))

    def derivative(self, x: Array, y: Array) -> Array:
        """Return the derivative of the tanh approximation (tanh u is recomputed from x)."""
        tanh_u = np.tanh(_C * (x + _A * x**3))
        return 0.5 * (1.0 + tanh_u) + 0.5 * x * (1.0 - tanh_u * tanh_u) * _C * (
            1.0 + 3 * _A * x * x
        )
