"""The base class of losses L(y, t): a number from a prediction and a target."""

from __future__ import annotations

from typing import Any, Literal

from numpy.typing import ArrayLike

from .errors import ConfigurationError
from .validation import Array

__all__ = ["Loss", "Reduction"]

Reduction = Literal["mean", "sum"]


class Loss:
    """A scalar loss ``L(y, t)`` of prediction ``y`` and target ``t``, and its gradient.

    A subclass implements

    - ``forward(y, t)``: return L as a Python float and keep what ``backward`` needs;
    - ``backward()``: return ∂L/∂y for the last ``forward``, shaped like ``y``.

    A loss is summed over the outputs of a sample and, by default, averaged over the
    batch (``reduction="mean"``); ``reduction="sum"`` adds the samples instead, which is
    what per-sample SGD in the derivation does with a batch of one.
    """

    def __init__(self, reduction: Reduction = "mean") -> None:
        if reduction not in ("mean", "sum"):
            raise ConfigurationError(
                f"{type(self).__name__} expects reduction 'mean' or 'sum', got {reduction!r}"
            )
        self.reduction = reduction

    def forward(self, y: ArrayLike, t: ArrayLike) -> float:
        """Return the loss of prediction ``y`` against target ``t``."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward(y, t)")

    def backward(self) -> Array:
        """Return ∂L/∂y for the last ``forward``."""
        raise NotImplementedError(f"{type(self).__name__} must implement backward()")

    def __call__(self, y: ArrayLike, t: ArrayLike) -> float:
        return self.forward(y, t)

    def config(self) -> dict[str, Any]:
        """Return the constructor options that rebuild this loss."""
        return {"reduction": self.reduction}

    def __repr__(self) -> str:
        options = ", ".join(f"{key}={value!r}" for key, value in self.config().items())
        return f"{type(self).__name__}({options})"

    def _batch_scale(self, y: Array) -> float:
        """The factor that turns a sum over samples into the requested reduction."""
        if self.reduction == "sum" or y.ndim < 2:
            return 1.0
        return 1.0 / y.shape[0]
