"""Accuracy: the fraction of predictions that are right, for each usual form of targets.

A prediction ``y`` is a batch ``(samples, outputs)`` (or one sample ``(outputs,)``). What is
"right" depends on the targets ``t``: the class with the largest output against a class label
or a one-hot row, or each output on the right side of a threshold against 0/1 targets. The
three metrics differ in who decides: `Accuracy` reads it from the targets, `BinaryAccuracy`
always thresholds and `CategoricalAccuracy` always takes the largest output.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .errors import ConfigurationError, DTypeError, ShapeError, TargetError
from .metric import Metric
from .validation import Array, as_float_array

__all__ = ["Accuracy", "BinaryAccuracy", "CategoricalAccuracy"]


class BinaryAccuracy(Metric):
    """The fraction of outputs on the right side of ``threshold``: each is a yes/no answer.

    An output counts as 1 where ``y >= threshold`` and as 0 below, and is right where that
    equals its target. The result is the mean over every output of every sample (all samples
    have the same number of outputs, so it is also the mean over samples of each sample's
    fraction of right outputs), Keras's ``binary_accuracy``; with ``exact_match=True`` a sample
    counts only when all its outputs are right (scikit-learn's subset accuracy).

    Target ``t``: 0s and 1s (any real dtype) of ``y``'s shape, or ``(samples,)`` for a single
    output column ``(samples, 1)``.

    Parameters
    ----------
    threshold
        Where an output flips from 0 to 1, a finite number: 0.5 (default) for a sigmoid's
        probabilities, 0.0 for logits. An output equal to it counts as 1 (Keras counts it as
        0; the two differ only there).
    exact_match
        Whether a sample counts as right only when every output is (True), instead of each
        output counting on its own (False, default).

    Raises
    ------
    layerkit.errors.ShapeError
        If ``y`` is empty or not 1-D or 2-D, or ``t`` has another shape.
    layerkit.errors.TargetError
        If a target is neither 0 nor 1 (the message gives it and its index).
    layerkit.errors.NonFiniteError
        For NaN or infinity in ``y`` or ``t``.

    Examples
    --------
    >>> import numpy as np
    >>> import layerkit as lk
    >>> y = np.array([[0.9, 0.2], [0.4, 0.7]])
    >>> t = np.array([[1, 0], [1, 1]])
    >>> lk.metric("binary_accuracy")(y, t)  # 3 of 4 outputs right
    0.75
    >>> lk.metric("binary_accuracy", exact_match=True)(y, t)  # 1 of 2 samples all right
    0.5
    """

    greater_is_better = True

    def __init__(self, threshold: float = 0.5, exact_match: bool = False) -> None:
        self.threshold, self.exact_match = _threshold_options(self, threshold, exact_match)

    def config(self) -> dict[str, Any]:
        """Return ``{"threshold": threshold, "exact_match": exact_match}``."""
        return {"threshold": self.threshold, "exact_match": self.exact_match}

    def forward(self, y: ArrayLike, t: ArrayLike) -> float:
        """Return the fraction of right outputs (or samples, with ``exact_match``)."""
        y, t, _ = _inputs(y, t, self)
        if t.shape != y.shape and not (y.shape[-1] == 1 and t.shape == y.shape[:-1]):
            raise ShapeError(
                f"{self!r} expects target t of the shape of prediction y {y.shape}, got {t.shape}"
            )
        return _thresholded(y, t, self)


class CategoricalAccuracy(Metric):
    """The fraction of samples whose largest output is their class: ``argmax y = class``.

    Keras's ``categorical_accuracy`` (for one-hot or probability rows) and
    ``sparse_categorical_accuracy`` (for class labels) in one. Of several equal largest outputs
    the first counts, as NumPy's ``argmax`` has it.

    Target ``t``: integer class labels ``(samples,)`` or ``(samples, 1)`` from 0 to
    ``outputs − 1``, or rows of ``y``'s shape whose largest entry marks the class (one-hot rows,
    or probabilities). For one sample ``(outputs,)``: one label ``()``, or one row.

    Raises
    ------
    layerkit.errors.ShapeError
        If ``y`` is empty or not 1-D or 2-D, or ``t`` fits neither form.
    layerkit.errors.DTypeError
        If class labels are not of an integer dtype (``1.0`` as a label).
    layerkit.errors.TargetError
        If a class label is outside ``0 … outputs − 1``.
    layerkit.errors.NonFiniteError
        For NaN or infinity in ``y`` or ``t``.

    Examples
    --------
    >>> import numpy as np
    >>> import layerkit as lk
    >>> y = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3]])
    >>> lk.metric("categorical_accuracy")(y, np.array([0, 1, 1]))  # sample 1 is wrong
    0.6666666666666666
    """

    greater_is_better = True

    def forward(self, y: ArrayLike, t: ArrayLike) -> float:
        """Return the fraction of samples whose largest output is the target class."""
        y, t, dtype = _inputs(y, t, self)
        if t.shape == y.shape:
            return _classified(y, np.argmax(t, axis=-1))
        return _classified(y, _labels(y, t, dtype, self))


class Accuracy(Metric):
    """The fraction of right predictions, judged by the form of the targets ``t``.

    - **Class labels**: integers of shape ``(samples,)`` or ``(samples, 1)``, with ``y`` of
      several columns: right where the largest output is the label (`CategoricalAccuracy`).
    - **One-hot rows** of ``y``'s shape (0s and 1s, one 1 per row): right where the largest
      output is the 1 (`CategoricalAccuracy`).
    - **One output column** ``(samples, 1)`` (a sigmoid's probability) with 0/1 targets of shape
      ``(samples, 1)`` or ``(samples,)``: right where ``y >= threshold`` matches the target
      (`BinaryAccuracy`).
    - **Several 0/1 outputs that are not one-hot** (multi-label, such as the half adder's sum
      and carry): each output is thresholded and right where it matches its target; the result
      is the mean over all outputs of all samples, Keras's ``binary_accuracy``
      (`BinaryAccuracy`). With ``exact_match=True`` a sample counts only when all its outputs
      are right (what ``layerkit train`` reports for ``--task bits``).

    The form is read from each call's targets, so a batch of multi-label targets whose rows
    all happen to hold a single 1 is scored as one-hot. For multi-label data, name the rule:
    ``"binary_accuracy"``.

    Parameters
    ----------
    threshold
        Where a 0/1 output flips, for one output column and for multi-label targets: 0.5
        (default) for probabilities, 0.0 for logits; an output equal to it counts as 1.
    exact_match
        For multi-label targets: whether a sample counts as right only when every output is.

    Raises
    ------
    layerkit.errors.ShapeError
        If ``y`` is empty or not 1-D or 2-D, or ``t`` fits none of the forms above.
    layerkit.errors.DTypeError
        If class labels are not of an integer dtype (``1.0`` as a label).
    layerkit.errors.TargetError
        If a class label is outside ``0 … outputs − 1``, or target rows of ``y``'s shape hold
        anything but 0 and 1.
    layerkit.errors.NonFiniteError
        For NaN or infinity in ``y`` or ``t``.

    Examples
    --------
    >>> import numpy as np
    >>> import layerkit as lk
    >>> accuracy = lk.metric("accuracy")
    >>> y = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    >>> accuracy(y, np.array([0, 1])), accuracy(y, np.array([[1, 0, 0], [0, 0, 1]]))
    (0.5, 1.0)
    >>> accuracy(np.array([[0.8], [0.3], [0.6]]), np.array([[1.0], [0.0], [0.0]]))
    0.6666666666666666
    """

    greater_is_better = True

    def __init__(self, threshold: float = 0.5, exact_match: bool = False) -> None:
        self.threshold, self.exact_match = _threshold_options(self, threshold, exact_match)

    def config(self) -> dict[str, Any]:
        """Return ``{"threshold": threshold, "exact_match": exact_match}``."""
        return {"threshold": self.threshold, "exact_match": self.exact_match}

    def forward(self, y: ArrayLike, t: ArrayLike) -> float:
        """Return the fraction of right predictions; see the class docstring for the forms."""
        y, t, dtype = _inputs(y, t, self)
        if y.shape[-1] == 1 and t.shape in (y.shape, y.shape[:-1]):
            return _thresholded(y, t, self)
        if t.shape == y.shape:
            _check_bits(t, self)
            if np.all(np.sum(t, axis=-1) == 1):  # one-hot
                return _classified(y, np.argmax(t, axis=-1))
            return _thresholded(y, t, self)
        return _classified(y, _labels(y, t, dtype, self))


def _threshold_options(who: Metric, threshold: object, exact_match: object) -> tuple[float, bool]:
    """The options ``threshold`` and ``exact_match``, checked."""
    name = type(who).__name__
    if (
        not isinstance(threshold, numbers.Real)
        or isinstance(threshold, bool)
        or not math.isfinite(threshold)
    ):
        raise ConfigurationError(
            f"{name} expects threshold to be a finite number, got threshold={threshold!r}"
        )
    if not isinstance(exact_match, bool | np.bool_):
        raise ConfigurationError(
            f"{name} expects exact_match to be True or False, got exact_match={exact_match!r}"
        )
    return float(threshold), bool(exact_match)


def _inputs(y: ArrayLike, t: ArrayLike, who: Metric) -> tuple[Array, Array, np.dtype[Any]]:
    """``y`` and ``t`` as float arrays, and the dtype ``t`` came in (integers are labels)."""
    y = as_float_array(y, who, name="prediction y")
    if y.ndim not in (1, 2) or y.size == 0:
        raise ShapeError(
            f"{who!r} expects prediction y with at least one sample and one output, of shape "
            f"(outputs,) or (batch, outputs), got shape {y.shape}"
        )
    values = as_float_array(t, who, name="target t")
    return y, values, np.asarray(t).dtype


def _check_bits(t: Array, who: Metric) -> None:
    """Raise `TargetError` unless every target is 0 or 1."""
    wrong = (t != 0) & (t != 1)
    if wrong.any():
        index = tuple(int(i) for i in np.argwhere(wrong)[0])
        where = index[0] if len(index) == 1 else index
        raise TargetError(
            f"{who!r} expects targets 0 or 1 where it thresholds the outputs, got {t[index]} "
            f"at index {where} (target t of shape {t.shape})"
        )


def _thresholded(y: Array, t: Array, who: Accuracy | BinaryAccuracy) -> float:
    """The mean of ``(y >= threshold) == t`` over outputs, or over samples all right."""
    _check_bits(t, who)
    right = (y >= who.threshold) == (t.reshape(y.shape) == 1)
    if who.exact_match and y.ndim == 2:
        return float(np.mean(np.all(right, axis=-1)))
    if who.exact_match:
        return float(np.all(right))
    return float(np.mean(right))


def _classified(y: Array, classes: Array | np.integer[Any] | int) -> float:
    """The fraction of samples whose largest output is at ``classes``."""
    return float(np.mean(np.argmax(y, axis=-1) == classes))


def _labels(y: Array, t: Array, dtype: np.dtype[Any], who: Metric) -> Array:
    """``t`` as class labels for ``y``, of shape ``y.shape[:-1]``, checked."""
    samples = y.shape[:-1]
    if t.shape not in (samples, (*samples, 1)):
        raise ShapeError(
            f"{who!r} expects target t as class labels of shape {samples}"
            f"{f' or {(*samples, 1)}' if samples else ''} or rows of the shape of prediction "
            f"y {y.shape}, got shape {t.shape}"
        )
    if dtype.kind not in "iu":
        raise DTypeError(
            f"{who!r} expects class labels of an integer dtype, got target t of dtype {dtype} "
            f"and shape {t.shape}; convert them with t.astype(int), or give rows of shape "
            f"{y.shape}"
        )
    labels = t.reshape(samples)
    classes = y.shape[-1]
    wrong = (labels < 0) | (labels >= classes)
    if np.any(wrong):
        sample = f" for sample {int(np.flatnonzero(wrong)[0])}" if labels.ndim else ""
        raise TargetError(
            f"{who!r} expects class labels from 0 to {classes - 1} (prediction y of shape "
            f"{y.shape} has {classes} outputs), got {int(labels[wrong][0])}{sample}"
        )
    return labels
