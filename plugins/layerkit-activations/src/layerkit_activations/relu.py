"""The rectified linear unit and its leaky variant."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from layerkit import Activation
from layerkit.errors import NonFiniteError
from layerkit.namespaces import to_numpy
from layerkit.validation import Array, float_dtype

from ._options import check_fits, nonnegative_float

__all__ = ["LeakyReLU", "ReLU"]


class ReLU(Activation):
    """Rectified linear unit ``y = max(x, 0)``, elementwise; no parameters.

    Derivative: 1 where ``x > 0``, else 0 (at ``x = 0`` the subgradient 0 is used).

    Input shape: any. Output shape: the input's, same dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit_activations import ReLU
    >>> relu = ReLU()
    >>> relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    >>> relu.backward(np.ones(3))
    array([0., 0., 1.])
    """

    derivative_uses_input = False  # y > 0 exactly where x > 0
    derivative_returns_new = True  # the 0/1 mask is a new array: backward multiplies into it
    derivative_at_most_one = True

    def function(self, x: Array) -> Array:
        """Return max(x, 0)."""
        return np.maximum(x, 0)

    def derivative(self, x: Array, y: Array) -> Array:
        """Return 1 where y > 0 (that is, x > 0), else 0."""
        return (y > 0).astype(y.dtype)

    def array_api_function(self, x: Any, xp: ModuleType) -> Any:
        """Return max(x, 0) with the functions of namespace ``xp``."""
        return xp.clip(x, min=0.0)

    def array_api_derivative(self, x: Any, y: Any, xp: ModuleType) -> Any:
        """Return 1 where y > 0, else 0, for arrays of namespace ``xp``."""
        return xp.astype(y > 0, y.dtype)


class LeakyReLU(Activation):
    """Leaky ReLU ``y = x`` for ``x > 0``, else ``slope · x``; elementwise, no parameters.

    Derivative: 1 where ``x > 0``, else ``slope``. A small slope keeps a gradient flowing
    through negative inputs, where a ReLU passes none. With a slope above 1, ``slope · x``
    and the gradient can exceed the dtype's range for huge inputs: that raises
    `layerkit.errors.NonFiniteError` rather than returning infinity; a slope beyond
    float32's range refuses float32 input (`layerkit.errors.ConfigurationError`).

    Input shape: any. Output shape: the input's, same dtype.

    Parameters
    ----------
    slope
        The gradient for negative inputs, a finite number >= 0 (default 0.01).

    Raises
    ------
    layerkit.errors.ConfigurationError
        If ``slope`` is negative, infinite, NaN or not a number.

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit_activations import LeakyReLU
    >>> leaky = LeakyReLU(slope=0.1)
    >>> leaky
    LeakyReLU(slope=0.1)
    >>> leaky(np.array([-2.0, 3.0]))
    array([-0.2,  3. ])
    >>> leaky.backward(np.ones(2))
    array([0.1, 1. ])
    """

    derivative_returns_new = True  # .astype makes a new array: backward multiplies into it

    def __init__(self, slope: float = 0.01) -> None:
        self.slope = nonnegative_float(slope, type(self).__name__, "slope")
        self.derivative_at_most_one = self.slope <= 1.0  # else backward checks for overflow

    def function(self, x: Array) -> Array:
        """Return x where x > 0, else slope · x."""
        if self.slope <= 1.0:
            return np.where(x > 0, x, self.slope * x)
        check_fits(self.slope, x.dtype, self, "slope")
        with np.errstate(over="ignore"):  # slope · x beyond the dtype's range: refused below
            y = np.where(x > 0, x, self.slope * x)
        if not np.all(np.isfinite(y)):
            index = tuple(int(i) for i in np.argwhere(~np.isfinite(y))[0])
            raise NonFiniteError(
                f"{self!r} overflows: slope · x for x = {x[index]} at index "
                f"{index if len(index) != 1 else index[0]} exceeds the largest {x.dtype} "
                f"({np.finfo(x.dtype).max:.4g})"
            )
        return y

    def derivative(self, x: Array, y: Array) -> Array:
        """Return 1 where x > 0, else slope."""
        return np.where(x > 0, 1.0, self.slope).astype(x.dtype)

    def array_api_function(self, x: Any, xp: ModuleType) -> Any:
        """Return x where x > 0, else slope · x, with the functions of namespace ``xp``."""
        if self.slope <= 1.0:
            return xp.where(x > 0, x, self.slope * x)
        check_fits(self.slope, float_dtype(x.dtype, self), self, "slope")
        with np.errstate(over="ignore"):  # libraries built on NumPy: refused below
            y = xp.where(x > 0, x, self.slope * x)
        if not bool(xp.all(xp.isfinite(y))):
            self.function(to_numpy(x))  # the NumPy path finds the entry and raises
        return y

    def array_api_derivative(self, x: Any, y: Any, xp: ModuleType) -> Any:
        """Return 1 where x > 0, else slope, for arrays of namespace ``xp``."""
        return xp.where(x > 0, xp.ones_like(x), xp.full_like(x, self.slope))

    def config(self) -> dict[str, Any]:
        """Return ``{"slope": slope}``."""
        return {"slope": self.slope}
