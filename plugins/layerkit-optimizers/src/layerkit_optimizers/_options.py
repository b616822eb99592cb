"""Checks for constructor options, and the reusable work arrays, shared by the optimizers."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

from layerkit import Optimizer
from layerkit.errors import ConfigurationError
from layerkit.validation import Array


def nonnegative(value: object, who: str, name: str) -> float:
    """Return ``value`` as a float if it is a finite real number >= 0, else raise."""
    if _real(value) and math.isfinite(value) and value >= 0:  # type: ignore[arg-type]
        return float(value)  # type: ignore[arg-type]  # a Python float keeps float32 float32
    raise ConfigurationError(
        f"{who} expects {name} to be a finite number >= 0, got {name}={value!r}"
    )


def positive(value: object, who: str, name: str) -> float:
    """Return ``value`` as a float if it is a finite real number > 0, else raise."""
    if _real(value) and math.isfinite(value) and value > 0:  # type: ignore[arg-type]
        return float(value)  # type: ignore[arg-type]
    raise ConfigurationError(
        f"{who} expects {name} to be a finite number > 0, got {name}={value!r}"
    )


def below_one(value: object, who: str, name: str) -> float:
    """Return ``value`` as a float if it is a real number in [0, 1), else raise."""
    if _real(value) and 0 <= value < 1:  # type: ignore[operator]
        return float(value)  # type: ignore[arg-type]
    raise ConfigurationError(f"{who} expects {name} in [0, 1), got {name}={value!r}")


def betas_pair(value: object, who: str) -> tuple[float, float]:
    """Return ``value`` as a pair of floats, each in [0, 1), else raise.

    A list is accepted too (a checkpoint's JSON gives one back for a tuple).
    """
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        raise ConfigurationError(
            f"{who} expects betas to be a pair (β1, β2) of numbers in [0, 1), got betas={value!r}"
        )
    return below_one(value[0], who, "betas[0]"), below_one(value[1], who, "betas[1]")


def flag(value: object, who: str, name: str) -> bool:
    """Return ``value`` if it is a bool, else raise (``amsgrad="no"`` would be truthy)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ConfigurationError(f"{who} expects {name} to be True or False, got {name}={value!r}")


def scratch(optimizer: Optimizer, value: Array, slot: int = 0) -> Array:
    """A work array of ``value``'s shape and dtype, made once and reused at every step.

    It holds nothing between calls (every use writes it before reading it), so it is not
    state: `Optimizer.state_dict` does not save it and parameters of the same shape share it.
    ``slot`` tells apart two work arrays needed at once.
    """
    arrays = optimizer.__dict__.setdefault("_scratch", {})
    key = (value.shape, value.dtype, slot)
    array = arrays.get(key)
    if array is None:
        array = arrays[key] = np.empty(value.shape, value.dtype)
    return array


def with_weight_decay(optimizer: Optimizer, value: Array, grad: Array, overwrite: bool) -> Array:
    """g + λθ, PyTorch's (coupled) weight decay, computed in work arrays, never a new one.

    λθ goes into the first work array; the sum into ``grad`` itself when ``overwrite`` allows
    it, else into the second work array (``slot=1``). The first is free again afterwards.
    """
    decay = np.multiply(value, optimizer.weight_decay, out=scratch(optimizer, value))  # type: ignore[attr-defined]
    decayed = grad if overwrite else scratch(optimizer, value, slot=1)
    return np.add(grad, decay, out=decayed)  # g ← g + λθ


def _real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
