"""The exponential linear unit."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from layerkit import Activation
from layerkit.validation import Array, float_dtype

from ._options import check_fits, nonnegative_float

__all__ = ["ELU"]


class ELU(Activation):
    """Exponential linear unit: ``y = x`` for ``x > 0``, else ``α (eˣ − 1)``; elementwise.

    Derivative: 1 where ``x > 0``, else ``α eˣ = y + α``, computed from the cached output.
    The exponential is only ever taken of ``min(x, 0)``, so nothing overflows. With
    ``α > 1`` the derivative exceeds 1, and a gradient that overflows the dtype raises
    `layerkit.errors.NonFiniteError`; an ``α`` beyond float32's range refuses float32 input.

    Input shape: any. Output shape: the input's, same dtype.

    Parameters
    ----------
    alpha
        The value ``−α`` that the output approaches for very negative inputs; a finite
        number >= 0 (default 1.0).

    Raises
    ------
    layerkit.errors.ConfigurationError
        If ``alpha`` is negative, infinite, NaN or not a number.

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit_activations import ELU
    >>> elu = ELU()
    >>> elu
    ELU(alpha=1.0)
    >>> elu(np.array([-1e4, 0.0, 2.0]))
    array([-1.,  0.,  2.])
    >>> elu.backward(np.ones(3))
    array([0., 1., 1.])
    """

    derivative_returns_new = True  # np.where makes a new array: backward multiplies into it

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = nonnegative_float(alpha, type(self).__name__, "alpha")
        self.derivative_at_most_one = self.alpha <= 1.0  # y + α <= α: else backward checks

    def function(self, x: Array) -> Array:
        """Return x where x > 0, else α (eˣ − 1)."""
        check_fits(self.alpha, x.dtype, self, "alpha")
        return np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0)))

    def derivative(self, x: Array, y: Array) -> Array:
        """Return 1 where x > 0, else α eˣ = y + α."""
        return np.where(x > 0, 1.0, y + self.alpha)

    def array_api_function(self, x: Any, xp: ModuleType) -> Any:
        """Return x where x > 0, else α (eˣ − 1), with the functions of namespace ``xp``."""
        check_fits(self.alpha, float_dtype(x.dtype, self), self, "alpha")
        return xp.where(x > 0, x, self.alpha * xp.expm1(xp.clip(x, max=0.0)))

    def array_api_derivative(self, x: Any, y: Any, xp: ModuleType) -> Any:
        """Return 1 where x > 0, else y + α, for arrays of namespace ``xp``."""
        return xp.where(x > 0, xp.ones_like(y), y + self.alpha)

    def config(self) -> dict[str, Any]:
        """Return ``{"alpha": alpha}``."""
        return {"alpha": self.alpha}
