"""Checks shared by the losses: constructor options, targets, and backward before forward."""

from __future__ import annotations

import math
import numbers

import numpy as np

from layerkit.errors import BackwardBeforeForwardError, ConfigurationError, TargetError
from layerkit.namespaces import namespace_of, to_numpy
from layerkit.validation import Array

EPSILON = 1e-7
"""Probabilities are clipped to at least this before a logarithm is taken."""


def flag(value: object, who: str, name: str) -> bool:
    """Return ``value`` if it is ``True`` or ``False``, else raise."""
    if not isinstance(value, bool | np.bool_):
        raise ConfigurationError(f"{who} expects {name} to be True or False, got {name}={value!r}")
    return bool(value)


def positive_float(value: object, who: str, name: str) -> float:
    """Return ``value`` as a float if it is a finite real number > 0, else raise."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ConfigurationError(
            f"{who} expects {name} to be a finite number > 0, got {name}={value!r}"
        )
    return float(value)  # a Python float: it keeps float32 arrays float32


def check_forward_ran(who: object, cached: object) -> None:
    """Raise `BackwardBeforeForwardError` if ``forward`` has not cached anything yet.

    ``who`` is the loss itself: its repr goes into the message only when there is one, so
    the check costs nothing on every ``backward`` that follows a ``forward``.
    """
    if cached is None:
        raise BackwardBeforeForwardError(
            f"{who}.backward was called before forward: call forward(y, t) first"
        )


def check_probability_targets(t: Array, who: object) -> None:
    """Raise `TargetError` unless every target lies in [0, 1] (``t`` is already finite)."""
    if type(t) is not np.ndarray:  # another array library: the entry is found on a host copy
        xp = namespace_of(t)
        if bool(xp.any((t < 0) | (t > 1))):
            check_probability_targets(to_numpy(t), who)
        return
    outside = (t < 0) | (t > 1)
    if outside.any():
        index = first_index(outside)
        raise TargetError(
            f"{who} expects targets t in [0, 1] (probabilities; 0 and 1 for labels), got "
            f"{t[index]} at index {printable(index)}: outside [0, 1] the loss goes negative"
        )


def first_index(mask: np.ndarray) -> tuple[int, ...]:
    """The index of the first true entry of ``mask``."""
    return tuple(int(i) for i in np.argwhere(mask)[0])


def printable(index: tuple[int, ...]) -> object:
    """An index as messages print it: ``3`` in 1-D, ``(0, 1)`` in 2-D."""
    return index[0] if len(index) == 1 else index
