"""The base class of losses L(y, t): a number from a prediction and a target."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from .errors import ConfigurationError, NonFiniteError, ShapeError
from .namespaces import library_of, namespace_of, to_numpy
from .validation import Array, _refuse_non_finite

__all__ = ["TARGET_OUTPUTS", "Loss", "Reduction"]

Reduction = Literal["mean", "sum"]

TARGET_OUTPUTS = 2**15
"""Outputs per ``forward`` call when `Loss.check_targets` checks every target (128 KiB of
float32): the check then needs less memory than a training step of a usual batch."""


class Loss:
    """A scalar loss ``L(y, t)`` of prediction ``y`` and target ``t``, and its gradient.

    A subclass implements

    - ``forward(y, t)``: return L as a Python float and keep what ``backward`` needs;
    - ``backward()``: return ∂L/∂y for the last ``forward``, shaped like ``y``.

    A loss is summed over the outputs of a sample and, by default, averaged over the
    batch (``reduction="mean"``); ``reduction="sum"`` adds the samples instead, which is
    what per-sample SGD in the derivation does with a batch of one. A subclass need not
    implement either: `reduce` turns the per-output terms into the loss, refusing a loss too
    large for the prediction's dtype instead of returning infinity, and `batch_scale` is the
    factor the gradient is multiplied by to match.

    Examples
    --------
    A complete loss, ``L = Σⱼ |yⱼ − tⱼ|³ / 3`` per sample, written with the two helpers:

    >>> import numpy as np
    >>> import layerkit as lk
    >>> class Cubic(lk.Loss):
    ...     def forward(self, y, t):
    ...         y, t = np.asarray(y, dtype=float), np.asarray(t, dtype=float)
    ...         self._error, self._scale = y - t, self.batch_scale(y)
    ...         return self.reduce(np.abs(self._error) ** 3 / 3)
    ...     def backward(self):
    ...         return self._error * np.abs(self._error) * self._scale
    >>> loss = Cubic()
    >>> loss(np.array([[3.0], [0.0]]), np.zeros((2, 1)))  # (27 / 3 + 0) / 2 samples
    4.5
    >>> loss.backward()
    array([[4.5],
           [0. ]])
    >>> lk.gradcheck(loss, np.array([[3.0], [-1.0]]), np.zeros((2, 1))).passed
    True
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

    def check_targets(self, y: Array, t: np.ndarray) -> None:
        """Raise what ``forward`` would raise for any of the targets ``t``; else return.

        `fit` calls it once, before training, with the model's prediction ``y`` for the
        first batch and every target, so that a bad target far into the data stops training
        before its first step. ``y`` stands in for the predictions of all the samples: only
        its shape and dtype matter.

        This default runs ``forward`` on chunks of ``t`` (at most `TARGET_OUTPUTS` outputs a
        call, so the check needs less memory than a training step), with ``y``'s first row
        repeated as each sample's prediction. A loss that can tell a valid target by cheaper
        means overrides it (the cross-entropy: class indices by their smallest and largest),
        falling back to this for anything else, so that the error is ``forward``'s own.
        """
        chunk = max(1, TARGET_OUTPUTS // math.prod(y.shape[1:]))  # samples per call
        for start in range(0, t.shape[0], chunk):
            targets = t[start : min(start + chunk, t.shape[0]), ...]  # within bounds
            if type(y) is np.ndarray:
                self.forward(np.repeat(y[:1], targets.shape[0], axis=0), targets)
            else:  # another array library
                shape = (targets.shape[0], *y.shape[1:])
                rows = namespace_of(y).broadcast_to(y[:1, ...], shape)
                self.forward(rows, targets)

    def config(self) -> dict[str, Any]:
        """Return the constructor options that rebuild this loss."""
        return {"reduction": self.reduction}

    def __repr__(self) -> str:
        options = ", ".join(f"{key}={value!r}" for key, value in self.config().items())
        return f"{type(self).__name__}({options})"

    def batch_scale(self, y: Array) -> float:
        """Return the factor that turns a sum over the samples of ``y`` into the reduction.

        ``1 / batch`` for ``reduction="mean"`` and a batch ``(batch, outputs)``; 1 for
        ``reduction="sum"`` and for one sample ``(outputs,)``. `reduce` applies it to the
        loss; multiply ``backward``'s gradient by it too.

        Raises
        ------
        ShapeError
            If ``y`` is a batch of no samples.

        Examples
        --------
        >>> import numpy as np
        >>> import layerkit as lk
        >>> batch = np.zeros((4, 2))
        >>> lk.L2Loss().batch_scale(batch), lk.L2Loss("sum").batch_scale(batch)
        (0.25, 1.0)
        """
        if self.reduction == "sum" or y.ndim < 2:
            return 1.0
        try:
            return 1.0 / y.shape[0]
        except ZeroDivisionError:  # free on the usual path, unlike a test before dividing
            raise ShapeError(
                f"{self!r} expects at least one sample, got a batch of shape {y.shape}"
            ) from None

    def reduce(self, terms: Array, *, prediction: Array | None = None) -> float:
        """Return the loss from its terms, one per output: summed, then scaled for the batch.

        The scale is `batch_scale`: the sum over a batch is divided by its size for
        ``reduction="mean"``.

        ``terms`` has the prediction's shape and dtype. A sum that overflows on the way to a
        mean that fits is summed again in float64 with the terms scaled down by the largest.
        Pass the ``prediction`` y when it was not checked for NaN and infinity (for a loss
        whose terms carry them on): a loss that is not finite refuses those first, and a
        finite one needs no pass over y for it.

        Raises
        ------
        NonFiniteError
            If a term, or the loss, does not fit the dtype (the loss overflowed).
        """
        scale = self.batch_scale(terms)
        if type(terms) is not np.ndarray and library_of(terms) != "numpy":
            total = float(namespace_of(terms).sum(terms))
            if math.isfinite(total):
                return total * scale
            # what overflowed is found and said on host copies, as for NumPy's arrays
            prediction = None if prediction is None else to_numpy(prediction)
            return self.reduce(to_numpy(terms), prediction=prediction)
        with np.errstate(over="ignore"):
            total = float(np.sum(terms))
        if math.isfinite(total):
            return total * scale
        if prediction is not None:  # NaN and ±inf in y are refused as such, trusted or not
            _refuse_non_finite(prediction, self, "prediction y")
        largest_float = float(np.finfo(terms.dtype).max)
        magnitudes = np.abs(terms)
        if not np.all(magnitudes <= largest_float):  # also true for NaN
            bad = np.argwhere(~(magnitudes <= largest_float))[0]
            raise NonFiniteError(
                f"{self!r} overflowed: the loss of the output at index {_where(bad)} exceeds the "
                f"largest {terms.dtype} ({largest_float:.4g}); the prediction is that far from "
                f"its target; if it came from training, lower the learning rate"
            )
        largest = float(magnitudes.max())
        total = float(np.sum(terms / largest, dtype=np.float64)) * scale * largest
        if abs(total) <= largest_float:
            return total
        raise NonFiniteError(
            f"{self!r} overflowed: the loss exceeds the largest {terms.dtype} "
            f"({largest_float:.4g}), although the loss of every output fits; the "
            f"predictions are that far from their targets; if they came from training, lower "
            f"the learning rate"
        )

    # The names the first-party losses and older plugins call.
    _batch_scale = batch_scale
    _reduce = reduce


def _where(index: np.ndarray) -> object:
    """An index as messages print it: ``3`` in 1-D, ``(0, 1)`` in 2-D."""
    return int(index[0]) if len(index) == 1 else tuple(int(i) for i in index)
