"""The hyperbolic tangent, a zero-centred sigmoid."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from layerkit import Activation
from layerkit.validation import Array

__all__ = ["Tanh"]


class Tanh(Activation):
    """Hyperbolic tangent ``y = tanh(x)``, elementwise; no parameters.

    Formula: ``tanh(x) = (eˣ − e⁻ˣ) / (eˣ + e⁻ˣ)``, with values in (−1, 1).

    Derivative: ``tanh'(x) = 1 − y²``, computed from the cached output.

    ``np.tanh`` saturates to ±1 without overflow, so any finite input is safe.

    Input shape: any. Output shape: the input's, same dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit_activations import Tanh
    >>> tanh = Tanh()
    >>> tanh(np.array([0.0, 1e4, -1e4]))
    array([ 0.,  1., -1.])
    >>> tanh.backward(np.ones(3))
    array([1., 0., 0.])
    """

    derivative_uses_input = False  # 1 − y² needs the output alone
    derivative_returns_new = True  # and is a new array: backward multiplies into it
    derivative_at_most_one = True  # 0 < 1 − y² <= 1

    def function(self, x: Array) -> Array:
        """Return tanh(x)."""
        return np.tanh(x)

    def derivative(self, x: Array, y: Array) -> Array:
        """Return tanh'(x) = 1 − y², from the output alone."""
        return 1.0 - y * y

    def array_api_function(self, x: Any, xp: ModuleType) -> Any:
        """Return tanh(x) with the functions of namespace ``xp``."""
        return xp.tanh(x)

    def array_api_derivative(self, x: Any, y: Any, xp: ModuleType) -> Any:
        """Return 1 − y², for arrays of namespace ``xp``."""
        return 1.0 - y * y
