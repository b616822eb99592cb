"""Categorical cross-entropy, from probabilities or (fused with softmax) from logits."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from layerkit.errors import DTypeError, ShapeError, TargetError
from layerkit.namespaces import device_of, namespace_of, to_numpy
from layerkit.validation import Array, as_float_array, inputs_trusted

from ._checks import (
    EPSILON,
    check_forward_ran,
    check_probability_targets,
    first_index,
)
from ._cross_entropy_base import CrossEntropyBase

__all__ = ["CrossEntropy"]


class CrossEntropy(CrossEntropyBase):
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

    Input shape: ``y`` of shape ``(classes,)`` or ``(batch, classes)``, with at least one
    sample and one class. Target ``t`` either rows of ``y``'s shape with entries in [0, 1] —
    one-hot rows, or distributions over the classes (soft labels) — or integer class indices
    of shape ``()`` or ``(batch,)``. ``backward()`` has ``y``'s shape and dtype.

    Rows that do not sum to 1 are accepted and give exactly ``−Σⱼ tⱼ log pⱼ`` and its
    gradient (``softmax(z) Σⱼ tⱼ − t`` from logits), as PyTorch does; it is the
    cross-entropy of two distributions only when they sum to 1. Several labels that may hold
    at once (multi-hot rows) are `BinaryCrossEntropy`'s case.

    Parameters
    ----------
    from_logits
        Whether ``y`` holds logits (True) or probabilities (False, default).
    reduction
        ``"mean"`` (default) averages the per-sample losses over the batch, ``"sum"`` adds.

    Raises
    ------
    layerkit.errors.ShapeError
        If ``y`` is not 1-D or 2-D or is empty, or ``t`` fits neither accepted shape.
    layerkit.errors.TargetError
        If a class index is outside ``0 … classes − 1``, or a target row has an entry
        outside [0, 1] (the loss could go negative).
    layerkit.errors.DTypeError
        If class indices are not of an integer dtype (``1.0`` or ``1.5`` as a label).
    layerkit.errors.NonFiniteError
        For NaN or infinity in ``y`` or ``t``, or a loss beyond the dtype's range (a logit
        near −1.8e308 for the target class, whose log-probability does not fit).

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit_losses import CrossEntropy
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

    _from_labels = False  # whether the last targets were class indices (so one-hot rows)

    def forward(self, y: ArrayLike, t: ArrayLike) -> float:
        """Return −Σ t log p, averaged or summed over the batch."""
        y = as_float_array(y, self, name="prediction y")
        if y.ndim not in (1, 2) or y.size == 0:
            raise ShapeError(
                f"{self!r} expects prediction y with at least one sample and one class, of shape "
                f"(classes,) or (batch, classes), got shape {y.shape}"
            )
        if type(y) is not np.ndarray:  # another array library
            return self._forward_xp(y, t)
        labels = _class_indices(y, t)
        self._from_labels = labels is not None
        t = _one_hot_of(y, labels) if labels is not None else self._one_hot(y, t)
        if self.from_logits:
            # Every exponent is <= 0; one below the dtype's range (1e308 − (−1e308)) is −inf,
            # whose exponential, 0, is the right probability.
            with np.errstate(over="ignore"):
                shifted = y - y.max(axis=-1, keepdims=True)
            log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
            p, inside = np.exp(log_p), None  # softmax(z)
        else:
            p = np.clip(y, EPSILON, 1.0)
            inside = (y >= EPSILON) & (y <= 1.0)  # where the clip left y alone
            log_p = np.log(p)
        scale = self._batch_scale(y)
        loss = -float(np.vdot(t, log_p))
        if math.isfinite(loss):
            loss *= scale
        else:  # a logit so far below its row's largest that log p = −inf, or overflow
            loss = self._reduce(_terms(y, t, log_p))  # refuses a loss that does not fit
        self._p, self._t, self._inside, self._scale = p, t, inside, scale
        return loss

    def backward(self) -> Array:
        """Return ∂L/∂y: ``softmax(z) − t`` from logits, ``−t / p`` from probabilities."""
        check_forward_ran(self, self._p)
        p, t = self._p, self._t
        if type(p) is not np.ndarray:  # another array library
            xp = namespace_of(p)
            if self.from_logits and self._from_labels:
                return (p - t) * self._scale
            if self.from_logits:
                return (p * xp.sum(t, axis=-1, keepdims=True) - t) * self._scale
            return xp.where(self._inside, -t / p, 0.0) * self._scale
        if self.from_logits and self._from_labels:  # one-hot rows: p · Σⱼ tⱼ − t = p − t
            grad = p - t
            grad *= self._scale
            return grad
        if self.from_logits:
            grad = p * t.sum(axis=-1, keepdims=True) - t  # Σⱼ tⱼ = 1 for one-hot: p − t
        else:
            grad = np.where(self._inside, -t / p, 0.0)
        return grad * self._scale

    def check_targets(self, y: Array, t: np.ndarray) -> None:
        """Class indices in range pass by their smallest and largest; the rest, by forward."""
        rows = y.shape[:-1]
        if type(t) is np.ndarray and t.dtype.kind in "iu" and t.shape[1:] == rows[1:]:
            classes = y.shape[-1]
            if len(rows) == t.ndim and (not t.size or (t.min() >= 0 and t.max() < classes)):
                return
        elif type(t) is not np.ndarray and _integral(t) and tuple(t.shape) == tuple(rows):
            xp = namespace_of(t)
            if 0 in t.shape or (int(xp.min(t)) >= 0 and int(xp.max(t)) < y.shape[-1]):
                return
        super().check_targets(y, t)

    def _forward_xp(self, y: Any, t: Any) -> float:
        """`forward` for arrays of another library, with the functions of its namespace."""
        xp = namespace_of(y, t, who=self)
        self._from_labels = _integral(t) and tuple(t.shape) == tuple(y.shape[:-1])
        t = self._one_hot_xp(y, t, xp)
        if self.from_logits:
            with np.errstate(over="ignore"):  # for libraries built on NumPy, as above
                shifted = y - xp.max(y, axis=-1, keepdims=True)
            log_p = shifted - xp.log(xp.sum(xp.exp(shifted), axis=-1, keepdims=True))
            p, inside = xp.exp(log_p), None  # softmax(z)
        else:
            p = xp.clip(y, min=EPSILON, max=1.0)
            inside = (y >= EPSILON) & (y <= 1.0)  # where the clip left y alone
            log_p = xp.log(p)
        scale = self._batch_scale(y)
        with np.errstate(invalid="ignore"):  # 0 · (−inf): the terms below say what it is
            loss = -float(xp.sum(t * log_p))
        if math.isfinite(loss):
            loss *= scale
        else:  # rare: the terms are taken apart on host copies, as for NumPy's arrays
            loss = self._reduce(_terms(to_numpy(y), to_numpy(t), to_numpy(log_p)))
        self._p, self._t, self._inside, self._scale = p, t, inside, scale
        return loss

    def _one_hot_xp(self, y: Any, t: Any, xp: Any) -> Any:
        """`_one_hot` for arrays of another library: class indices, or rows checked in [0, 1]."""
        classes = y.shape[-1]
        if self._from_labels:
            if 0 in t.shape or (int(xp.min(t)) >= 0 and int(xp.max(t)) < classes):
                index = xp.arange(classes, dtype=t.dtype, device=device_of(t))
                return xp.astype(xp.expand_dims(t, axis=-1) == index, y.dtype)
        else:
            targets = as_float_array(t, self, name="target t", integer_dtype=y.dtype)
            if tuple(targets.shape) == tuple(y.shape):
                check_probability_targets(targets, self)
                return targets if targets.dtype == y.dtype else xp.astype(targets, y.dtype)
        # what is wrong is said by the NumPy path, on host copies
        self._one_hot(to_numpy(y), to_numpy(t))
        raise AssertionError("unreachable: the NumPy path refuses these targets")

    def _one_hot(self, y: Array, t: ArrayLike) -> Array:
        """Return the target as rows of ``y``'s shape and dtype, from rows or class indices."""
        targets = as_float_array(t, self, name="target t", integer_dtype=y.dtype)
        if targets.shape == y.shape:
            check_probability_targets(targets, self)
            return targets.astype(y.dtype, copy=False)
        if targets.shape != y.shape[:-1]:
            raise ShapeError(
                f"{self!r} expects target t as one-hot rows of shape {y.shape} or class "
                f"indices of shape {y.shape[:-1]} (for prediction y of shape {y.shape}), "
                f"got shape {targets.shape}"
            )
        indices = np.asarray(t)
        if indices.dtype.kind not in "iu":
            fractional = np.mod(targets, 1) != 0
            hint = (
                f"{targets[first_index(fractional)]} is not a class index"
                if fractional.any()
                else "convert them with t.astype(int)"
            )
            raise DTypeError(
                f"{self!r} expects class indices of an integer dtype, got dtype "
                f"{indices.dtype}; {hint}"
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


def _class_indices(y: Array, t: ArrayLike) -> np.ndarray | None:
    """``t`` if it is an integer array of class indices for ``y``, each in range, else None.

    The cheap test of the usual case; anything else takes the general path, which converts
    the targets to one-hot rows and says what is wrong with them.
    """
    if type(t) is not np.ndarray or t.dtype.kind not in "iu" or t.shape != y.shape[:-1]:
        return None
    if inputs_trusted():  # their range was tested by check_targets, before training
        return t
    if t.size and (t.min() < 0 or t.max() >= y.shape[-1]):
        return None
    return t


def _integral(t: Any) -> bool:
    """Whether ``t`` is an array of another library with an integer dtype (class indices)."""
    return hasattr(t, "dtype") and namespace_of(t).isdtype(t.dtype, "integral")


def _one_hot_of(y: Array, labels: np.ndarray) -> Array:
    """One-hot rows of ``y``'s shape and dtype for in-range class indices."""
    rows = np.zeros((labels.size, y.shape[-1]), y.dtype)
    rows[np.arange(labels.size), labels.reshape(-1)] = 1.0
    return rows.reshape(y.shape)


def _terms(z: Array, t: Array, log_p: Array) -> Array:
    """−tⱼ log pⱼ for each output, also where log pⱼ is below the dtype's range (−inf).

    There, −log pⱼ = (max z − zⱼ) + log Σₖ e^(zₖ − max z) is computed as tⱼ max z − tⱼ zⱼ
    + tⱼ log Σ…, whose parts fit; a term of 0 for tⱼ = 0, not 0 · ∞. What still does not fit
    is inf, which ``Loss._reduce`` refuses.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        terms = np.where(t == 0, 0.0, -t * log_p)
        far = np.isinf(log_p) & (t != 0)
        if far.any():
            top = z.max(axis=-1, keepdims=True)
            log_sum = -log_p.max(axis=-1, keepdims=True)  # the largest log pₖ is −log Σ…
            terms = np.where(far, (t * top - t * z) + t * log_sum, terms)
    return terms
