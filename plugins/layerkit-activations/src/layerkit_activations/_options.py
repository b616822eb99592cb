"""Checks for constructor options, shared by the activations that take one."""

from __future__ import annotations

import math
import numbers

from layerkit.errors import ConfigurationError


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
