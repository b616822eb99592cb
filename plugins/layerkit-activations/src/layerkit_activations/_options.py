"""Checks for constructor options, shared by the activations that take one."""

from __future__ import annotations

import math
import numbers

import numpy as np

from layerkit.errors import ConfigurationError

FLOAT32_MAX = float(np.finfo(np.float32).max)


def nonnegative_float(value: object, who: str, name: str) -> float:
    """Return ``value`` as a float if it is a finite real number >= 0, else raise."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value < 0
    ):
        raise ConfigurationError(
            f"{who} expects {name} to be a finite number >= 0, got {name}={value!r}"
        )
    return float(value)  # a Python float: it keeps float32 arrays float32


def check_fits(value: float, dtype: np.dtype, who: object, name: str) -> None:
    """Raise `ConfigurationError` if option ``value`` is beyond float32 and ``dtype`` is float32."""
    if value > FLOAT32_MAX and dtype == np.float32:
        raise ConfigurationError(
            f"{who} cannot compute in float32: {name}={value!r} is beyond its largest number "
            f"({FLOAT32_MAX:.4g}); pass float64 input, or a smaller {name}"
        )
