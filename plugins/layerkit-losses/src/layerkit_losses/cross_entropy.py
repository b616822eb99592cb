"""Categorical cross-entropy, from probabilities or (fused with softmax) from logits."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from layerkit import Loss
from layerkit.errors import DTypeError, ShapeError, TargetError
from layerkit.loss import Reduction
from layerkit.validation import Array, as_float_array

from ._checks import EPSILON, check_forward_ran, flag

__all__ = ["CrossEntropy"]


class CrossEntropy(Loss):
    """Cross-entropy ``L = −Σⱼ tⱼ log pⱼ`` per sample, of class probabilities p and targets t.

    With ``from_logits=False`` (default) the prediction ``y`` is the probabilities p, e.g. a
    `Softmax` output. They are clipped to [1e-7, 1] before the logarithm, so ``y = 0`` gives a
    large finite loss instead of infinity. ``backward()`` returns ``−t / p``: the exact
    gradient of the clipped function, hence 0 where y lay outside [1e-7, 1].

    With ``from_logits=True`` the prediction is the logits z (scores before any softmax) and
    the loss applies a stable log-softmax itself, ``log pⱼ = zⱼ − max z − log Σₖ e^(zₖ − max z)``,
    whose exponents are all <= 0. ``backward()`` returns ``softmax(z) − t``.

    That is also what the chain rule gives for ``Softmax`` followed by this loss on
    probabilities: ``p ⊙ (g − Σⱼ gⱼ pⱼ)`` with ``g = −t / p`` is ``p − t`` (for targets that
    sum to 1). The fused form is the stable choice: it never divides by a probability that
    has underflowed to 0, and keeps a useful gradient for confidently wrong predictions,
    where the clipped path gives 0. Prefer a network ending in logits with
    ``CrossEntropy(from_logits=True)``.

    Parameters
    ----------
    from_logits
        Whether ``y`` holds logits (True) or probabilities (False, default).
    reduction
        ``"mean"`` (default) averages the per-sample losses over the batch, ``"sum"`` adds.

    Input shape: ``y`` of shape ``(classes,)`` or ``(batch, classes)``. Target ``t`` either
    one-hot (or any distribution) rows of ``y``'s shape, or integer class indices of shape
    ``()`` or ``(batch,)``. ``backward()`` has ``y``'s shape and dtype.

    Raises
    ------
    layerkit.errors.ShapeError
        If ``y`` is not 1-D or 2-D, or ``t`` fits neither accepted shape.
    layerkit.errors.TargetError
        If a class index is outside ``0 … classes − 1``.
    layerkit.errors.DTypeError
        If class indices are not of an integer dtype.

    Examples
    --------
    >>> loss = CrossEntropy()
    >>> y = np.array([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1]])
    >>> round(loss(y, np.array([0, 1])), 6)  # ½ (−log 0.5 − log 0.8)
    0.458145
    >>> fused = CrossEntropy(from_logits=True)
    >>> round(fused(np.array([[0.0, 0.0], [1e4, -1e4]]), np.array([0, 1])), 6)  # ½ (log 2 + 2e4)
    10000.346574
    >>> fused.backward()  # (softmax(z) − t) / batch
    array([[-0.25,  0.25],
           [ 0.5 , -0.5 ]])
    """

    def __init__(self, *, from_logits: bool = False, reduction: Reduction = "mean") -> None:
        super().__init__(reduction)
        self.from_logits = flag(from_logits, type(self).__name__, "from_logits")
        self._p: Array | None = None
        self._t: Array | None = None
        self._inside: Array | None = None
        self._scale = 1.0

    def forward(self, y: ArrayLike, t: ArrayLike) -> float:
        """Return −Σ t log p, averaged or summed over the batch."""
        y = as_float_array(y, self, name="prediction y")
        if y.ndim not in (1, 2):
            raise ShapeError(
                f"{self!r} expects prediction y of shape (classes,) or (batch, classes), "
                f"got shape {y.shape}"
            )
        t = self._one_hot(y, t)
        self._scale = self._batch_scale(y)
        if self.from_logits:
            shifted = y - y.max(axis=-1, keepdims=True)  # every exponent <= 0
            log_p = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
            self._p = np.exp(log_p)  # softmax(z)
        else:
            self._p = np.clip(y, EPSILON, 1.0)
            self._inside = (y >= EPSILON) & (y <= 1.0)  # where the clip left y alone
            log_p = np.log(self._p)
        self._t = t
        return -float(np.vdot(t, log_p)) * self._scale

    def backward(self) -> Array:
        """Return ∂L/∂y: ``softmax(z) − t`` from logits, ``−t / p`` from probabilities."""
        check_forward_ran(repr(self), self._p)
        p, t = self._p, self._t
        if self.from_logits:
            grad = p * t.sum(axis=-1, keepdims=True) - t  # Σⱼ tⱼ = 1 for one-hot: p − t
        else:
            grad = np.where(self._inside, -t / p, 0.0)
        return grad * self._scale

    def config(self) -> dict[str, Any]:
        """Return ``{"from_logits": …, "reduction": …}``."""
        return {"from_logits": self.from_logits, **super().config()}

    def _one_hot(self, y: Array, t: ArrayLike) -> Array:
        """Return the target as rows of ``y``'s shape and dtype, from rows or class indices."""
        targets = as_float_array(t, self, name="target t", integer_dtype=y.dtype)
        if targets.shape == y.shape:
            return targets.astype(y.dtype, copy=False)
        if targets.shape != y.shape[:-1]:
            raise ShapeError(
                f"{self!r} expects target t as one-hot rows of shape {y.shape} or class "
                f"indices of shape {y.shape[:-1]} (for prediction y of shape {y.shape}), "
                f"got shape {targets.shape}"
            )
        indices = np.asarray(t)
        if indices.dtype.kind not in "iu":
            raise DTypeError(
                f"{self!r} expects class indices of an integer dtype, got dtype "
                f"{indices.dtype}; convert them with t.astype(int)"
            )
        classes = y.shape[-1]
        wrong = (indices < 0) | (indices >= classes)
        if np.any(wrong):
            sample = f" for sample {np.flatnonzero(wrong)[0]}" if indices.ndim else ""
            raise TargetError(
                f"{self!r} expects class indices from 0 to {classes - 1} (prediction y of shape "
                f"{y.shape} has {classes} classes), got {indices[wrong][0]}{sample}"
            )
        one_hot = np.zeros_like(y)
        np.put_along_axis(one_hot, indices[..., np.newaxis], 1.0, axis=-1)
        return one_hot
